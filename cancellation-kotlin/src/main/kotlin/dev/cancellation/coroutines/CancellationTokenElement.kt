package dev.cancellation.coroutines

import dev.cancellation.Cancellation
import dev.cancellation.CancellationToken
import dev.cancellation.TaskCancelledException
import kotlin.coroutines.AbstractCoroutineContextElement
import kotlin.coroutines.CoroutineContext
import kotlinx.coroutines.CopyableThreadContextElement
import kotlinx.coroutines.DelicateCoroutinesApi
import kotlinx.coroutines.ExperimentalCoroutinesApi
import kotlinx.coroutines.Job

/**
 * A coroutine-context element that carries [token], makes it [CancellationToken.current] on whatever thread the
 * coroutine runs, and (unless [cancelsCoroutine] is `false`) cancels the coroutine when the token is cancelled.
 *
 * **Current.** It binds the token each time the coroutine starts or resumes on a thread, and puts back that thread's
 * previous binding each time it suspends or completes, the way kotlinx.coroutines' `ThreadLocal.asContextElement()`
 * does. So Java code called from the coroutine (a `@Cancellable` method, `Cancellation.sleep`, the JDBC and HTTP
 * edges) sees the token, before and after every suspension, on every dispatcher.
 *
 * **Cancelled with the token.** The first time the element is installed on a coroutine (when that coroutine first
 * runs), it registers one callback on the token that cancels the coroutine's [Job] with a [TaskCancelledException]
 * carrying the token's reason (a `TaskTimeoutException` for a deadline), at once and from the cancelling thread,
 * and removes that callback when the job completes, however it completes: a long-lived token keeps nothing of the
 * coroutines that ran under it. A token already cancelled cancels the job at once. Child coroutines inherit the
 * element (each gets its own copy, a [CopyableThreadContextElement]); a child of a coroutine that is linked
 * already registers nothing, as cancelling the parent cancels it; a coroutine outside that hierarchy (a
 * `launch(Job() + element)`) gets its own callback. After the first time, the cost per resumption is one field
 * check beside the two thread-local writes. The link goes one way: cancelling the coroutine does not cancel the
 * token. [CancellationToken.none] is never cancelled, so it links nothing.
 *
 * ```kotlin
 * launch(Dispatchers.IO + token.asContextElement()) {
 *     delay(100)                                  // throws the TaskCancelledException if the token is cancelled
 *     check(CancellationToken.current() === token) // on whatever IO thread resumed the coroutine
 * }
 * ```
 *
 * With [cancelsCoroutine] `false` the element only makes the token current, as `ThreadLocal.asContextElement()`
 * would: the coroutine stops where the code it calls checks the token, not at its own suspension points.
 *
 * Why an element of its own rather than Spring's `PropagationContextElement` (Micrometer context-propagation):
 * this module needs neither Spring nor Micrometer, the element carries exactly one token chosen by the caller (not
 * a snapshot of every registered thread local taken when it is created), and it costs two thread-local writes per
 * resumption. Both can be in one context: the element added last is applied last, so `withToken` inside a Spring
 * `suspend` controller makes its token current over the request's.
 *
 * Thread-safety: one instance may be shared by any number of coroutines: kotlinx.coroutines installs a copy of it
 * on each new coroutine ([copyForChild]), and the state of a copy (whether it has linked its coroutine) is only
 * touched by that coroutine's own, sequential, resumptions.
 *
 * @property token the token made current; [CancellationToken.none] makes "no token" current
 * @property cancelsCoroutine whether cancelling the token cancels the coroutine (`true` by default)
 */
@OptIn(DelicateCoroutinesApi::class, ExperimentalCoroutinesApi::class)
public class CancellationTokenElement private constructor(
    public val token: CancellationToken,
    public val cancelsCoroutine: Boolean,
    /** The job an ancestor's copy of this element linked to the token: its descendants need no callback. */
    private val linkedAncestor: Job?,
) : CopyableThreadContextElement<CancellationToken?>, AbstractCoroutineContextElement(Key) {

    /**
     * An element making [token] current in the coroutines it is installed on and, if [cancelsCoroutine], cancelling
     * them when the token is cancelled.
     */
    public constructor(token: CancellationToken, cancelsCoroutine: Boolean = true) : this(token, cancelsCoroutine, null)

    /** The key of [CancellationTokenElement] in a [CoroutineContext]. */
    public companion object Key : CoroutineContext.Key<CancellationTokenElement>

    /** Whether this copy was installed on its coroutine: written and read by that coroutine's resumptions only. */
    private var installed = false

    /** The job whose cancel this copy's coroutine follows: its own or an ancestor's; read by [copyForChild]. */
    @Volatile
    private var linkedJob: Job? = null

    /** Binds [token] to this thread; returns the thread's previous binding (`null` for none). */
    override fun updateThreadContext(context: CoroutineContext): CancellationToken? {
        if (!installed) {
            installed = true
            if (cancelsCoroutine) {
                link(context[Job])
            }
        }
        val previous = Cancellation.boundTokenOrNull()
        Cancellation.restore(token)
        return previous
    }

    /** Puts back the binding [updateThreadContext] found. */
    override fun restoreThreadContext(context: CoroutineContext, oldState: CancellationToken?) {
        Cancellation.restore(oldState)
    }

    /** Links [job] (the coroutine's) to the token, once, unless a linked ancestor stops it already. */
    private fun link(job: Job?) {
        if (job == null || token.isNone) {
            return
        }
        val ancestor = linkedAncestor
        if (ancestor != null && job.isDescendantOf(ancestor)) {
            linkedJob = ancestor
            return
        }
        val reason = token.reason().orElse(null)
        if (reason != null) {
            job.cancel(TaskCancelledException.of(reason))
            return
        }
        val registration = token.onCancel { cancelled -> job.cancel(TaskCancelledException.of(cancelled)) }
        job.invokeOnCompletion { registration.close() }
        linkedJob = job
    }

    /** A fresh copy for a new coroutine, which knows the job this one linked, so that descendants link nothing. */
    override fun copyForChild(): CancellationTokenElement =
        CancellationTokenElement(token, cancelsCoroutine, linkedJob ?: linkedAncestor)

    /** A child that names an element of its own gets (a copy of) that one: the innermost token wins. */
    override fun mergeForChild(overwritingElement: CoroutineContext.Element): CoroutineContext =
        (overwritingElement as CancellationTokenElement).copyForChild()

    override fun toString(): String = "CancellationTokenElement($token)"
}

/** Whether [ancestor] is this job or one of its parents (walks the parents: the depth of the hierarchy). */
@OptIn(ExperimentalCoroutinesApi::class)
private fun Job.isDescendantOf(ancestor: Job): Boolean {
    var current: Job? = this
    while (current != null) {
        if (current === ancestor) {
            return true
        }
        current = current.parent
    }
    return false
}
