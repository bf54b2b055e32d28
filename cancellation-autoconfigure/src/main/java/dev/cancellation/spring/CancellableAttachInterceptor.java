package dev.cancellation.spring;

import dev.cancellation.task.TaskAttachment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.ProxyMethodInvocation;

/**
 * The innermost advice of {@code @Cancellable} methods: for {@code @Async} ones it runs on the executor thread,
 * right around the method body. It attaches that thread to the task started at submission by
 * {@link CancellableInterceptor} (so the token is current and interrupt escalation reaches the thread), skips the
 * body of a task cancelled while queued, and ends the task when the body is done. For other return types the
 * outer interceptor has done all of that already; for a {@code @Retryable} method this advice runs once per
 * attempt, inside the retry advice, and ends the retries as soon as the task is cancelled (see
 * {@link TaskCall#attemptFailed()}); otherwise it just proceeds.
 *
 * <p>Thread-safety: stateless.
 */
final class CancellableAttachInterceptor implements MethodInterceptor {

    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
        TaskCall call = (invocation instanceof ProxyMethodInvocation proxied)
                ? (TaskCall) proxied.getUserAttribute(TaskCall.ATTRIBUTE) : null;
        if (call == null) {
            return invocation.proceed();
        }
        if (!call.method().mode().isAsync()) {
            if (!call.method().retryable()) {
                return invocation.proceed();
            }
            // One attempt of a @Retryable method (the retry advice sits between the two advices of the task).
            call.attemptStarting();
            try {
                return invocation.proceed();
            } catch (Throwable ex) {
                call.attemptFailed();
                throw ex;
            }
        }
        boolean returnsFuture = call.method().mode() == CancellableMethod.Mode.ASYNC_FUTURE;
        if (!call.tryStart()) {
            // cancelled while queued; the task has already ended
            if (returnsFuture) {
                throw call.cancelledException();
            }
            return null;
        }
        Object returned = null;
        Object value = null;
        Throwable failure = null;
        try (TaskAttachment ignored = call.handle().attach()) {
            returned = invocation.proceed();
            if (returned instanceof Future<?> future) {
                value = future.get(); // normally already complete; waits (interruptibly) while still attached
            }
        } catch (ExecutionException ex) {
            failure = CancellableInterceptor.unwrap(ex);
        } catch (Throwable ex) {
            failure = ex;
        }
        Throwable toThrow = call.exit(failure);
        CompletableFuture<Object> result = call.result();
        if (result != null) {
            if (toThrow == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(toThrow);
            }
        }
        if (toThrow != null) {
            if (!returnsFuture && toThrow instanceof dev.cancellation.TaskCancelledException) {
                return null; // recorded by the registry (and published as an event), not an unexpected failure
            }
            throw toThrow;
        }
        return returned;
    }
}
