/**
 * The fleet on Redis: instances of one application that list and cancel each other's tasks. {@link
 * dev.cancellation.cluster.RedisFleet} implements the endpoint's {@link dev.cancellation.actuate.FleetTasks} on
 * Spring Data Redis: a heartbeat publishes each instance's live tasks with a time to live, and requests on a
 * pub/sub channel reach the instance that runs a task. An edge on top of {@code dev.cancellation.task}; nothing
 * below it knows Redis. See {@code docs/fleet.md}.
 */
package dev.cancellation.cluster;
