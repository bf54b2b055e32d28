package dev.cancellation.coroutines

import dev.cancellation.Cancellation
import dev.cancellation.CancellationToken
import kotlin.coroutines.AbstractCoroutineContextElement
import kotlin.coroutines.CoroutineContext
import kotlinx.coroutines.ThreadContextElement

/**
 * A coroutine-context element that carries [token] and makes it [CancellationToken.current] on whatever thread the
 * coroutine runs: it binds the token each time the coroutine starts or resumes on a thread, and puts back that
 * thread's previous binding each time it suspends or completes, the way kotlinx.coroutines'
 * `ThreadLocal.asContextElement()` does. So Java code called from the coroutine (a `@Cancellable` method,
 * `Cancellation.sleep`, the JDBC and HTTP edges) sees the token, before and after every suspension, on every
 * dispatcher.
 *
 * ```kotlin
 * launch(Dispatchers.IO + token.asContextElement()) {
 *     delay(100)
 *     check(CancellationToken.current() === token)
 * }
 * ```
 *
 * Child coroutines inherit the element with the rest of the context. It only makes the token current: it does not
 * link the token to the coroutine's job; [withToken] does both.
 *
 * Why an element of its own rather than Spring's `PropagationContextElement` (Micrometer context-propagation):
 * this module needs neither Spring nor Micrometer, the element carries exactly one token chosen by the caller (not
 * a snapshot of every registered thread local taken when it is created), and it costs two thread-local writes per
 * resumption. Both can be in one context: the element added last is applied last, so `withToken` inside a Spring
 * `suspend` controller makes its token current over the request's.
 *
 * Thread-safety: immutable; one instance may be shared by any number of coroutines.
 *
 * @property token the token made current; [CancellationToken.none] makes "no token" current
 */
public class CancellationTokenElement(public val token: CancellationToken) :
    ThreadContextElement<CancellationToken?>, AbstractCoroutineContextElement(Key) {

    /** The key of [CancellationTokenElement] in a [CoroutineContext]. */
    public companion object Key : CoroutineContext.Key<CancellationTokenElement>

    /** Binds [token] to this thread; returns the thread's previous binding (`null` for none). */
    override fun updateThreadContext(context: CoroutineContext): CancellationToken? {
        val previous = Cancellation.boundTokenOrNull()
        Cancellation.restore(token)
        return previous
    }

    /** Puts back the binding [updateThreadContext] found. */
    override fun restoreThreadContext(context: CoroutineContext, oldState: CancellationToken?) {
        Cancellation.restore(oldState)
    }

    override fun toString(): String = "CancellationTokenElement($token)"
}
