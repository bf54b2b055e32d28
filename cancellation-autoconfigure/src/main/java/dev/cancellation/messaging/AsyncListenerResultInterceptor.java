package dev.cancellation.messaging;

import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import java.util.concurrent.CompletableFuture;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;

/**
 * Around a listener method that returns a {@code CompletableFuture} or a Reactor {@code Mono} (an asynchronous
 * listener, which the framework acknowledges when the result completes): when the method runs inside a
 * {@link ListenerInvocation}, the invocation {@linkplain ListenerInvocation#endsWith ends with the result}, not when
 * the method returns, and a cancel of the invocation's token (a shutdown, an operator, its budget) ends the result:
 * <ul>
 *   <li>a {@code CompletableFuture} is completed at once with the {@link TaskCancelledException}, as the edge
 *       translates it ({@link ListenerInvocation#cancelFailure}; the framework then handles it as the listener's
 *       failure);</li>
 *   <li>a {@code Mono} is disposed (its subscription cancelled) and fails with the {@link TaskCancelledException};
 *       it runs with the token in its Reactor context, so that the token is current wherever Reactor runs it (with
 *       context propagation on, as the starter has it).</li>
 * </ul>
 * A result already complete when the method returns, or a method called outside an invocation, is left as it is.
 *
 * <p>Thread-safety: stateless; runs on the listener threads.
 */
final class AsyncListenerResultInterceptor implements MethodInterceptor {

    static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Mono",
            AsyncListenerResultInterceptor.class.getClassLoader());

    @Override
    public @Nullable Object invoke(MethodInvocation call) throws Throwable {
        ListenerInvocation invocation = ListenerInvocation.current();
        if (invocation == null) {
            return call.proceed();
        }
        Object result = call.proceed();
        if (result instanceof CompletableFuture<?> future) {
            if (!future.isDone()) {
                follow(invocation, future);
            }
            return result;
        }
        if (REACTOR_PRESENT && ReactorResults.isMono(result)) {
            return ReactorResults.follow(invocation, result);
        }
        return result;
    }

    private static void follow(ListenerInvocation invocation, CompletableFuture<?> future) {
        CancellationToken token = invocation.token();
        Registration registration = token.onCancel(reason -> future.completeExceptionally(
                invocation.cancelFailure(TaskCancelledException.of(reason, invocation.task().name()))));
        future.whenComplete((value, failure) -> registration.close());
        invocation.endsWith(future);
    }
}
