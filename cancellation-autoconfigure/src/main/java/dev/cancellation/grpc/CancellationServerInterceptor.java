package dev.cancellation.grpc;

import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskRejectedException;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;

/**
 * Runs every call a gRPC server answers under a token of its own: its deadline is the call's deadline
 * ({@code grpc-timeout}), it is cancelled when the client cancels the call or the deadline passes, and it is
 * {@linkplain dev.cancellation.CancellationToken#current() current} in the service's code (every callback of the
 * call's listener, so unary, streaming and bidirectional methods alike). Work started from there ({@code @Cancellable}
 * methods, SQL statements, outbound HTTP and gRPC calls) inherits its budget and is stopped with it.
 *
 * <p>A call whose code ends with a {@code TaskCancelledException} (thrown, or passed to
 * {@code StreamObserver.onError}) is answered with the status of {@link CallStatuses}: {@code DEADLINE_EXCEEDED},
 * {@code CANCELLED} or {@code UNAVAILABLE}, not {@code UNKNOWN}. With a {@link TaskRegistry}, each call is also a
 * task named after its full method name, listed by the {@code cancellation} endpoint and cancellable there.
 *
 * <p>It orders itself early ({@link #ORDER}) so that the interceptors after it run under the token too. A call
 * without a deadline costs one token source and one context listener; with one, a timer entry as well.
 *
 * <p>Thread-safety: immutable; gRPC calls it concurrently for every call.
 */
public final class CancellationServerInterceptor implements ServerInterceptor, Ordered {

    /** The interceptor's order among Spring gRPC's global interceptors: early, after the very first. */
    public static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;

    private final @Nullable TaskRegistry registry;
    private final boolean includeReasonMessage;

    /**
     * Creates the interceptor.
     *
     * @param registry where each call is registered as a task, {@code null} not to register calls
     * @param includeReasonMessage whether statuses carry the reason's message (see {@link CallStatuses})
     */
    public CancellationServerInterceptor(@Nullable TaskRegistry registry, boolean includeReasonMessage) {
        this.registry = registry;
        this.includeReasonMessage = includeReasonMessage;
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        InboundCall inbound;
        try {
            inbound = new InboundCall(method, Context.current(), registry);
        } catch (TaskRejectedException rejected) {
            call.close(CallStatuses.statusFor(rejected, method, includeReasonMessage, null), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        StatusMappingServerCall<ReqT, RespT> mapped = new StatusMappingServerCall<>(call, inbound,
                includeReasonMessage);
        ServerCall.Listener<ReqT> listener;
        try {
            // Streaming methods run their service code in startCall: bind the token there too.
            listener = TokenBindingListener.call(inbound, mapped, () -> next.startCall(mapped, headers));
        } catch (RuntimeException | Error failure) {
            inbound.close();
            throw failure;
        }
        if (listener == null) { // startCall failed with a cancellation and the call is closed
            inbound.close();
            return new ServerCall.Listener<>() { };
        }
        return new TokenBindingListener<>(listener, inbound, mapped);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public String toString() {
        return "CancellationServerInterceptor[registerCalls=" + (registry != null) + "]";
    }
}
