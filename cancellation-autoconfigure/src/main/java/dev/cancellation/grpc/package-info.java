/**
 * The gRPC edge: each call a server answers runs under a token with the call's deadline, cancelled when the client
 * cancels or the deadline passes; calls made under a token get its deadline and are cancelled with it.
 *
 * <p>API: {@link CancellationServerInterceptor} and {@link CancellationClientInterceptor}, gRPC's own extension
 * points (Spring gRPC applies them to every service and channel as global interceptors), and {@link CallStatuses},
 * how a cancellation becomes a gRPC status. Internal: the state of one inbound call and the listener that binds its
 * token around the service's code.
 *
 * <p>Depends on the core and {@code grpc-api} only, never on another edge: an HTTP request that calls a gRPC
 * service that calls an HTTP service keeps one budget through the token alone. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationGrpcAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.grpc;

import org.jspecify.annotations.NullMarked;
