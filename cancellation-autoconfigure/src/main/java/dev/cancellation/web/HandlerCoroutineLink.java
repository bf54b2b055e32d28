package dev.cancellation.web;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.spring.CancellationTokenAccessor;
import kotlin.coroutines.AbstractCoroutineContextElement;
import kotlin.coroutines.CoroutineContext;
import kotlinx.coroutines.CopyableThreadContextElement;
import kotlinx.coroutines.Job;
import kotlinx.coroutines.reactor.ReactorContext;
import org.jspecify.annotations.Nullable;

/**
 * A coroutine-context element that cancels a Kotlin {@code suspend} handler's coroutine when the request's token is
 * cancelled (its deadline, an operator, the client gone), with a {@link TaskCancelledException} carrying the reason:
 * the handler's suspending calls throw it, its {@code finally} blocks run, and the request is answered as any
 * cancelled request is (the problem detail of {@link CancellationProblems}: {@code 504} for a timeout, {@code 409}
 * for a requested cancel, {@code 503} for shutdown).
 *
 * <p>Spring runs a handler in a coroutine it creates ({@code mono(context)}, which refuses a {@code Job} in the
 * context it is given), so the element hooks the coroutine's own job: the first time it is installed on the
 * coroutine (when the handler starts), it registers one callback on the token that cancels the job, and removes it
 * when the job completes, however it completes. After that, each resumption costs one field check. kotlinx.coroutines
 * installs a {@linkplain #copyForChild() copy} on each coroutine that gets the element from a context it is given (the
 * handler's); the coroutines the handler starts share the handler's copy, and are cancelled with the handler.
 *
 * <p>The token is the one given, or, for a prototype made with {@link #fromReactorContext()}, the one under
 * {@link CancellationTokenAccessor#KEY} in the coroutine's Reactor context (where WebFlux's request filter puts it).
 * No token, or {@link CancellationToken#none()}, links nothing. Loaded only where Kotlin's coroutines for Reactor are
 * on the class path. Public for the stack-specific packages; not an application API.
 *
 * <p>Thread-safety: a prototype is immutable and may be shared; the state of a copy (whether it is installed) is
 * only touched by its coroutine's resumptions, which kotlinx.coroutines runs one after the other.
 */
public final class HandlerCoroutineLink extends AbstractCoroutineContextElement
        implements CopyableThreadContextElement<Object> {

    /** The element's key in a coroutine context. */
    public static final CoroutineContext.Key<HandlerCoroutineLink> KEY = new CoroutineContext.Key<>() { };

    private final @Nullable CancellationToken token;
    private final boolean prototype;
    private boolean installed;

    private HandlerCoroutineLink(@Nullable CancellationToken token, boolean prototype) {
        super(KEY);
        this.token = token;
        this.prototype = prototype;
    }

    /** A prototype whose copies link their coroutine to {@code token}. */
    public static HandlerCoroutineLink of(CancellationToken token) {
        return new HandlerCoroutineLink(token, true);
    }

    /** A prototype whose copies link their coroutine to the token of the coroutine's Reactor context. */
    public static HandlerCoroutineLink fromReactorContext() {
        return new HandlerCoroutineLink(null, true);
    }

    @Override
    public @Nullable Object updateThreadContext(CoroutineContext context) {
        if (!installed && !prototype) {
            installed = true;
            link(context);
        }
        return null;
    }

    @Override
    public void restoreThreadContext(CoroutineContext context, @Nullable Object oldState) {
        // nothing bound: the token is made current by the context's propagation element
    }

    private void link(CoroutineContext context) {
        Job job = context.get(Job.Key);
        CancellationToken linked = (token != null) ? token : fromReactor(context);
        if (job == null || linked == null || linked.isNone()) {
            return;
        }
        CancellationReason reason = linked.reason().orElse(null);
        if (reason != null) {
            job.cancel(TaskCancelledException.of(reason));
            return;
        }
        Registration registration = linked.onCancel(cancelled -> job.cancel(TaskCancelledException.of(cancelled)));
        job.invokeOnCompletion(failure -> {
            registration.close();
            return kotlin.Unit.INSTANCE;
        });
    }

    private static @Nullable CancellationToken fromReactor(CoroutineContext context) {
        ReactorContext reactor = context.get(ReactorContext.Key);
        Object token = (reactor == null) ? null
                : reactor.getContext().getOrDefault(CancellationTokenAccessor.KEY, null);
        return (token instanceof CancellationToken found) ? found : null;
    }

    /** A prototype's copy is the element of one coroutine; an installed copy is shared by that coroutine's children. */
    @Override
    public CopyableThreadContextElement<Object> copyForChild() {
        return prototype ? new HandlerCoroutineLink(token, false) : this;
    }

    /** A child naming an element of its own keeps that one (a copy of it). */
    @Override
    public CoroutineContext mergeForChild(CoroutineContext.Element overwritingElement) {
        return (overwritingElement instanceof HandlerCoroutineLink link) ? link.copyForChild() : overwritingElement;
    }

    @Override
    public String toString() {
        return "HandlerCoroutineLink[" + (prototype ? "prototype" : installed ? "installed" : "copy") + "]";
    }
}
