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
 *       {@code TaskCancelledException} as the cause of the {@code CANCELLED} status the stub reports);</li>
 *   <li>a call that fails with {@code DEADLINE_EXCEEDED} at the token's deadline also carries the token's
 *       {@code TaskTimeoutException} as its status's cause, so {@code TaskCancelledException.find} and the web
 *       edge's problem details see the budget run out, whichever of gRPC's timer and the token's fired first.</li>
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
        Instant tokenDeadline = token.deadline().orElse(null);
        CallOptions options = withTokenDeadline(callOptions, tokenDeadline);
        Instant applied = (options != callOptions) ? tokenDeadline : null;
        return new TokenClientCall<>(next.newCall(method, options), token, applied);
    }

    /** {@code options} with the token's deadline when it is earlier than their own (or they have none). */
    static CallOptions withTokenDeadline(CallOptions options, @Nullable Instant deadline) {
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
        private final @Nullable Instant appliedDeadline;
        private volatile @Nullable Registration registration;
        private volatile boolean closed;

        TokenClientCall(ClientCall<ReqT, RespT> delegate, CancellationToken token, @Nullable Instant appliedDeadline) {
            super(delegate);
            this.token = token;
            this.appliedDeadline = appliedDeadline;
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
                    super.onClose(withCancellationCause(status), trailers);
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

        /**
         * The status with the token's {@code TaskCancelledException} as its cause when the call failed because of
         * the token: cancelled, or failed with {@code DEADLINE_EXCEEDED} at the token's deadline (gRPC's own timer
         * and the token's fire at the same instant; either may come first). So the caller, and the web edge's
         * problem details, see a timeout of the budget rather than a bare gRPC failure.
         */
        private Status withCancellationCause(Status status) {
            if (status.isOk() || status.getCause() != null) {
                return status;
            }
            CancellationReason reason = token.reason().orElse(null);
            if (reason == null && status.getCode() == Status.Code.DEADLINE_EXCEEDED && appliedDeadline != null) {
                reason = CancellationReason.deadlineExceeded(appliedDeadline);
            }
            return (reason == null) ? status : status.withCause(TaskCancelledException.of(reason));
        }

        private void cancelWith(CancellationReason reason) {
            delegate().cancel("cancelled with its token: " + reason.kind(), TaskCancelledException.of(reason));
        }
    }
}
