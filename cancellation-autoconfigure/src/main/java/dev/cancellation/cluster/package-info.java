/**
 * The fleet on Redis: instances of one application that list and cancel each other's tasks. A heartbeat publishes
 * each instance's live tasks with a time to live, and requests on a pub/sub channel reach the instance that runs a
 * task. See {@code docs/fleet.md}.
 *
 * <p>API: {@link RedisFleet}, the member of the fleet (with its {@link FleetSettings}), and what reports on it:
 * {@link FleetHealthIndicator}, {@link FleetMetrics} over its {@link FleetCounters}. Internal: the heartbeat
 * ({@code FleetMembership}), the messaging ({@code FleetMessaging}), the JSON format ({@code FleetWire}), the keys and
 * the bounded Redis calls.
 *
 * <p>An edge on top of {@code dev.cancellation.task}; nothing below it knows Redis. It plugs into Spring Data Redis
 * (a {@code RedisConnectionFactory}, {@code StringRedisTemplate} and a {@code RedisMessageListenerContainer}) and into
 * the endpoint through {@link dev.cancellation.actuate.FleetTasks}, which {@code RedisFleet} implements; Boot's health
 * ({@code HealthIndicator}) and Micrometer ({@code MeterBinder}) report on it. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationClusterAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.cluster;

import org.jspecify.annotations.NullMarked;
