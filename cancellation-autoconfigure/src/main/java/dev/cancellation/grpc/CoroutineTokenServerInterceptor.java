package dev.cancellation.grpc;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import dev.cancellation.coroutines.CancellationTokenElement;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.kotlin.CoroutineContextServerInterceptor;
import java.util.concurrent.atomic.AtomicBoolean;
import kotlin.coroutines.CoroutineContext;
import kotlin.coroutines.EmptyCoroutineContext;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.core.Ordered;

/**
 * Carries a call's token into the coroutine in which grpc-kotlin runs a coroutine service's method (a
 * {@code suspend} function, or a {@code Flow}), on another thread than the call's listener: through grpc-kotlin's
 * own extension point, {@link CoroutineContextServerInterceptor}, the coroutine's context gets cancellation-kotlin's
 * {@link CancellationTokenElement} for the token that {@link CancellationServerInterceptor} made current for the
 * call. So, in the service's method, {@link CancellationToken#current()} is the call's token (its deadline is the
 * call's) on whatever thread resumes it, and work started there inherits the budget; and the client's cancel, the
 * call's deadline or an operator's cancel of the call's task cancels the coroutine at once (its suspending calls
 * throw a {@code TaskCancelledException}, its {@code finally} blocks run), which
 * {@link CancellationServerInterceptor} answers with the status of {@link CallStatuses}, as for a Java service.
 *
 * <p>It must run inside {@link CancellationServerInterceptor} (after it, in Spring gRPC's order of global
 * interceptors: its {@link #ORDER} is the next one), where the call's token exists. Called outside, there is no token
 * to carry: it adds nothing to the coroutine's context, and says so once in the log. It costs, for every call (of
 * Java services too, as gRPC interceptors apply to every method), one element and one gRPC context.
 *
 * <p>Thread-safety: immutable apart from the once-only warning flag; gRPC calls it concurrently for every call.
 */
public final class CoroutineTokenServerInterceptor extends CoroutineContextServerInterceptor implements Ordered {

    /** Right after {@link CancellationServerInterceptor#ORDER}, so that the call's token is current when it runs. */
    public static final int ORDER = CancellationServerInterceptor.ORDER + 1;

    private static final Log logger = LogFactory.getLog(CoroutineTokenServerInterceptor.class);

    private final AtomicBoolean warned = new AtomicBoolean();

    @Override
    public CoroutineContext coroutineContext(ServerCall<?, ?> call, Metadata headers) {
        CancellationToken token = Cancellation.boundTokenOrNull();
        if (token == null) {
            if (warned.compareAndSet(false, true)) {
                logger.warn("No token is current for the gRPC call " + call.getMethodDescriptor().getFullMethodName()
                        + ": " + getClass().getSimpleName() + " runs outside of " + CancellationServerInterceptor.class
                        .getSimpleName() + " (order it after it), so coroutine services get no call token");
            }
            return EmptyCoroutineContext.INSTANCE;
        }
        return new CancellationTokenElement(token, true);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public String toString() {
        return "CoroutineTokenServerInterceptor";
    }
}
