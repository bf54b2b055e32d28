package dev.cancellation.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The server call as the service sees it: a close with {@code UNKNOWN} caused by a cancellation (what gRPC makes of
 * {@code StreamObserver.onError(taskCancelledException)}, or of an exception handler's fallback), or with
 * {@code CANCELLED} caused by one (what grpc-kotlin makes of a coroutine service ended by a
 * {@code TaskCancelledException}, a {@code CancellationException}), becomes the status of {@link CallStatuses}
 * ({@code DEADLINE_EXCEEDED} for a timeout); it remembers that the call was closed, so a cancellation thrown
 * afterwards closes nothing twice.
 *
 * <p>Thread-safety: gRPC's {@code ServerCall} is not thread-safe and is used as such; the closed flag may be read
 * from any thread.
 */
final class StatusMappingServerCall<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {

    private final InboundCall inbound;
    private final boolean includeReasonMessage;
    private final AtomicBoolean closed = new AtomicBoolean();

    StatusMappingServerCall(ServerCall<ReqT, RespT> delegate, InboundCall inbound, boolean includeReasonMessage) {
        super(delegate);
        this.inbound = inbound;
        this.includeReasonMessage = includeReasonMessage;
    }

    @Override
    public void close(Status status, Metadata trailers) {
        closed.set(true);
        if (status.getCode() == Status.Code.UNKNOWN || status.getCode() == Status.Code.CANCELLED) {
            RuntimeException cancellation = CallStatuses.findCancellation(status.getCause());
            if (cancellation != null) {
                status = CallStatuses.statusFor(cancellation, inbound.method(), includeReasonMessage,
                        inbound.callToken());
            }
        }
        super.close(status, trailers);
    }

    /** Closes the call with the status of a cancellation that ended the service's code, unless it is closed. */
    void closeWith(RuntimeException cancellation) {
        if (closed.compareAndSet(false, true)) {
            super.close(CallStatuses.statusFor(cancellation, inbound.method(), includeReasonMessage,
                    inbound.callToken()), new Metadata());
        }
    }
}
