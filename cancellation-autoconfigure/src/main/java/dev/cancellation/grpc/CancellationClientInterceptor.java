package dev.cancellation.grpc;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;

/**
 * Makes the gRPC calls a channel starts under a {@linkplain CancellationToken#current() current token} follow it:
 * <ul>
 *   <li>refused before anything is sent when the token is already cancelled (its {@code TaskCancelledException},
 *       a {@code TaskTimeoutException} for a spent budget, is thrown by the stub);</li>
 *   <li>the call's deadline is the earlier of its own ({@code CallOptions}, the stub's {@code withDeadline}) and
 *       the token's, so the server sees the remaining budget in {@code grpc-timeout};</li>
 *   <li>a cancel of the token cancels the call at once ({@code ClientCall.cancel}, with the
 *       {@code TaskCancelledException} as the cause of the {@code CANCELLED} status the stub reports).</li>
 * </ul>
 * Calls made without a current token are untouched. The token is read when the call is created, on the calling
 * thread (a stub method), not when its messages flow.
 *
 * <p>Thread-safety: immutable; gRPC calls it concurrently for every call. The cancel callback may run on any
 * thread; {@code ClientCall.cancel} is safe from any thread.
 */
public final class CancellationClientInterceptor implements ClientInterceptor, Ordered {

    /** The interceptor's order among Spring gRPC's global client interceptors: early, after the very first. */
    public static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
            CallOptions callOptions, Channel next) {
        CancellationToken token = CancellationToken.current();
        if (token.isNone()) {
            return next.newCall(method, callOptions);
        }
        token.throwIfCancelled();
        return new TokenClientCall<>(next.newCall(method, withTokenDeadline(callOptions, token)), token);
    }

    /** {@code options} with the token's deadline when it is earlier than their own (or they have none). */
    static CallOptions withTokenDeadline(CallOptions options, CancellationToken token) {
        Instant deadline = token.deadline().orElse(null);
        if (deadline == null) {
            return options;
        }
        long remainingNanos = Math.max(0, saturatedNanos(Duration.between(Instant.now(), deadline)));
        Deadline tokenDeadline = Deadline.after(remainingNanos, TimeUnit.NANOSECONDS);
        Deadline own = options.getDeadline();
        return (own != null && own.isBefore(tokenDeadline)) ? options : options.withDeadline(tokenDeadline);
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException tooFar) {
            return duration.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public String toString() {
        return "CancellationClientInterceptor";
    }

    /**
     * A call cancelled with its token: the token's callback is registered when the call starts and released when
     * it closes, so a long-lived token holds nothing for calls that are done.
     */
    private static final class TokenClientCall<ReqT, RespT>
            extends ForwardingClientCall.SimpleForwardingClientCall<ReqT, RespT> {

        private final CancellationToken token;
        private volatile @Nullable Registration registration;
        private volatile boolean closed;

        TokenClientCall(ClientCall<ReqT, RespT> delegate, CancellationToken token) {
            super(delegate);
            this.token = token;
        }

        @Override
        public void start(Listener<RespT> responseListener, Metadata headers) {
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(responseListener) {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    closed = true;
                    Registration registered = registration;
                    if (registered != null) {
                        registered.close();
                    }
                    super.onClose(status, trailers);
                }
            }, headers);
            // After start: cancel() before start() is not allowed to reach a listener. A token cancelled meanwhile
            // runs the callback here, at once.
            Registration registered = token.onCancel(this::cancelWith);
            registration = registered;
            if (closed) {
                registered.close(); // closed before the registration was published: onClose could not release it
            }
        }

        private void cancelWith(CancellationReason reason) {
            delegate().cancel("cancelled with its token: " + reason.kind(), TaskCancelledException.of(reason));
        }
    }
}
