package dev.cancellation.spring;

import kotlin.coroutines.Continuation;
import kotlin.coroutines.CoroutineContext;
import org.springframework.core.PropagationContextElement;
import org.springframework.util.ClassUtils;

/**
 * Makes the task's token {@link dev.cancellation.CancellationToken#current() current} in the coroutine of a
 * {@code suspend} {@code @Cancellable} function, across suspensions and threads: the coroutine context gets Spring's
 * {@link PropagationContextElement}, which at every resumption sets the thread locals registered with Micrometer's
 * context propagation from the coroutine's Reactor context, where the task's token is (under
 * {@link CancellationTokenAccessor#KEY}). Loaded only for suspending functions.
 *
 * <p>Spring's AOP runs the function in the caller's coroutine context, read from the trailing {@link Continuation}
 * argument (and only read: the proxy resumes the caller through its own copy of the arguments); so the call's copy
 * of the arguments gets a continuation whose context adds the element, unless the caller's already has one.
 *
 * <p>Thread-safety: stateless.
 */
final class CoroutineTokenPropagation {

    /** {@code PropagationContextElement} needs Micrometer's context propagation and kotlinx-coroutines. */
    static final boolean SUPPORTED = ClassUtils.isPresent("io.micrometer.context.ContextSnapshotFactory",
            CoroutineTokenPropagation.class.getClassLoader())
            && ClassUtils.isPresent("kotlinx.coroutines.ThreadContextElement",
                    CoroutineTokenPropagation.class.getClassLoader());

    private CoroutineTokenPropagation() {
    }

    /** Replaces the trailing continuation of {@code arguments} by one whose context propagates the token. */
    static void propagate(Object[] arguments) {
        int last = arguments.length - 1;
        if (last < 0 || !(arguments[last] instanceof Continuation<?> continuation)) {
            return;
        }
        CoroutineContext context = continuation.getContext();
        if (context.get(PropagationContextElement.Key) == null) {
            arguments[last] = new WithContext<>(continuation, context.plus(new PropagationContextElement()));
        }
    }

    /** A continuation seen with another context; resuming it resumes the caller's. */
    private record WithContext<T>(Continuation<T> caller, CoroutineContext context) implements Continuation<T> {

        @Override
        public CoroutineContext getContext() {
            return context;
        }

        @Override
        public void resumeWith(Object result) {
            caller.resumeWith(result);
        }
    }
}
