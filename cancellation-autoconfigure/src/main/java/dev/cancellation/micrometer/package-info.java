/**
 * Metrics and observations of tasks with Micrometer, from the registry's events (each type is a
 * {@code TaskListener} of the task registry).
 *
 * <p>API: {@link CancellationMeters}, the cancellation meters on a {@code MeterRegistry}; {@link TaskObservations},
 * the {@code cancellation.task} observation of every task on an {@code ObservationRegistry}, with its
 * {@link TaskObservationContext}; {@link TaskObservationConvention}, the extension point to rename it or change its
 * key values, and its {@link DefaultTaskObservationConvention}.
 *
 * <p>An edge into Micrometer (metrics and the Observation API); it knows the task registry only. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationMetricsAutoConfiguration} and
 * {@code CancellationObservationAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.micrometer;

import org.jspecify.annotations.NullMarked;
