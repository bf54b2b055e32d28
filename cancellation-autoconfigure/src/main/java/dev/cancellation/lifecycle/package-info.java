/** Graceful shutdown of running tasks, wired into Spring's lifecycle. */
package dev.cancellation.lifecycle;
