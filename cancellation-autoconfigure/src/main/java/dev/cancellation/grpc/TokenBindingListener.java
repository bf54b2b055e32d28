package dev.cancellation.grpc;

import dev.cancellation.Cancellation;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ServerCall;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The call's listener with the call's token current around every callback, where gRPC runs the service's code
 * ({@code onMessage} and {@code onHalfClose} for unary and client-streaming methods, {@code onReady} for flow
 * control). A cancellation thrown by the service is answered with its status instead of gRPC's {@code UNKNOWN};
 * {@code onComplete} and {@code onCancel} close the call's token, {@code onCancel} after cancelling it.
 *
 * <p>Thread-safety: gRPC calls a listener serially (never concurrently), possibly from different threads; the
 * binding is made and undone on the calling thread.
 */
final class TokenBindingListener<ReqT> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {

    private final InboundCall inbound;
    private final StatusMappingServerCall<ReqT, ?> call;

    TokenBindingListener(ServerCall.Listener<ReqT> delegate, InboundCall inbound, StatusMappingServerCall<ReqT, ?> call) {
        super(delegate);
        this.inbound = inbound;
        this.call = call;
    }

    /**
     * Runs {@code action} with the call's token current; a cancellation it throws closes the call with its status
     * and yields {@code null}, anything else is rethrown (gRPC answers it with {@code UNKNOWN}).
     */
    static <T> @Nullable T call(InboundCall inbound, StatusMappingServerCall<?, ?> call, Supplier<T> action) {
        try (Cancellation.Scope ignored = Cancellation.enter(inbound.token())) {
            return action.get();
        } catch (RuntimeException failure) {
            RuntimeException cancellation = CallStatuses.findCancellation(failure);
            if (cancellation == null) {
                throw failure;
            }
            call.closeWith(cancellation);
            return null;
        }
    }

    private void run(Runnable action) {
        call(inbound, call, () -> {
            action.run();
            return Boolean.TRUE;
        });
    }

    @Override
    public void onMessage(ReqT message) {
        run(() -> super.onMessage(message));
    }

    @Override
    public void onHalfClose() {
        run(super::onHalfClose);
    }

    @Override
    public void onReady() {
        run(super::onReady);
    }

    @Override
    public void onCancel() {
        try {
            inbound.callCancelled(); // before the service's own cancel handler, which then sees the token cancelled
            run(super::onCancel);
        } finally {
            inbound.close();
        }
    }

    @Override
    public void onComplete() {
        try {
            run(super::onComplete);
        } finally {
            inbound.close();
        }
    }
}
