/**
 * The {@code cancellation} actuator endpoint: lists the running and recently finished tasks of the registry and
 * cancels them, over HTTP and JMX.
 *
 * <p>API: {@link CancellationEndpoint} (its operations and response types) and its HTTP flavour
 * {@link CancellationEndpointWebExtension}; {@link FleetTasks}, the extension point through which a fleet (such as
 * the Redis one in {@code dev.cancellation.cluster}) adds the tasks of the other instances, with
 * {@link FleetUnavailableException} for a fleet that cannot be reached. {@link CancellationEndpointRuntimeHints} are
 * the endpoint's AOT hints.
 *
 * <p>An edge into Spring Boot Actuator, through its endpoint model ({@code @Endpoint},
 * {@code @EndpointWebExtension}); it knows the task registry and nothing of the other edges. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationEndpointAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.actuate;

import org.jspecify.annotations.NullMarked;
