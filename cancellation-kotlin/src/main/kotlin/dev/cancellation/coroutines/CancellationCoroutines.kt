@file:JvmName("CancellationCoroutines")

package dev.cancellation.coroutines

import dev.cancellation.CancellationReason
import dev.cancellation.CancellationToken
import dev.cancellation.TaskCancelledException
import kotlin.coroutines.cancellation.CancellationException
import kotlin.coroutines.resume
import kotlinx.coroutines.CompletableJob
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.isActive
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.coroutines.withContext

/**
 * Runs [block] with [token] current and linked to the block's job, and returns its result, like
 * kotlinx.coroutines' `withTimeout` runs a block under a time limit:
 *
 * - the token is [CancellationToken.current] in the block and in the coroutines it starts, across every
 *   suspension and dispatcher (a [CancellationTokenElement] in the block's context; [currentToken] returns it);
 * - cancelling the token cancels the block's job at once, from the cancelling thread: its suspending calls throw,
 *   its `finally` blocks run, and `withToken` throws a [TaskCancelledException] carrying the token's
 *   [reason][CancellationToken.reason] (a `TaskTimeoutException` when a deadline cancelled it), the exception a
 *   `@Cancellable` method throws for the same cancel;
 * - a token already cancelled throws that exception at once, without running the block;
 * - cancelling the caller's coroutine cancels the block as usual and is rethrown as it is (the token is not
 *   cancelled: only its source cancels a token).
 *
 * The callback registered on the token is deregistered when the block completes, however it completes, so a
 * long-lived token keeps nothing of finished blocks.
 *
 * ```kotlin
 * suspend fun report(token: CancellationToken): Report = withToken(token) {
 *     val rows = withContext(Dispatchers.IO) { repository.load() } // a JDBC call: the token is current here too
 *     render(rows)
 * }
 * ```
 *
 * Like `withTimeout`'s `TimeoutCancellationException`, [TaskCancelledException] is a `CancellationException`:
 * uncaught in a `launch`, it ends that coroutine as cancelled rather than failing its parent. Catch it where the
 * cancel must be answered; thrown from a controller, the web edge answers it with a problem detail (504 for a
 * timeout, 503 for shutdown, 409 for a requested cancel).
 *
 * @throws TaskCancelledException when the token was cancelled before or while the block ran
 */
public suspend fun <T> withToken(token: CancellationToken, block: suspend CoroutineScope.() -> T): T {
    token.throwIfCancelled()
    try {
        // The element links the block's job to the token, and removes its callback when the block completes.
        return withContext(CancellationTokenElement(token), block)
    } catch (cancelled: CancellationException) {
        val reason = token.reason().orElse(null)
        if (reason == null || (cancelled is TaskCancelledException && cancelled.reason() === reason)
            || !currentCoroutineContext().isActive) {
            throw cancelled // not the token's cancel, or the caller is cancelled too: the caller's matter
        }
        throw TaskCancelledException.of(reason)
    }
}

/**
 * The token of the calling coroutine: the one a [CancellationTokenElement] (put there by [withToken] or
 * [asContextElement]) carries in its context, else the one bound to the current thread
 * ([CancellationToken.current], which in a Spring `suspend` controller or `@Cancellable` function is the request's
 * or the task's), else [CancellationToken.none].
 */
public suspend fun currentToken(): CancellationToken =
    currentCoroutineContext()[CancellationTokenElement]?.token ?: CancellationToken.current()

/**
 * This token as a coroutine-context element ([CancellationTokenElement]) that makes it current in the coroutine,
 * on every thread it runs, and cancels the coroutine when the token is cancelled (with a [TaskCancelledException]
 * carrying the reason, as [withToken] does, but without turning the coroutine's end into that exception):
 * `launch(Dispatchers.IO + token.asContextElement()) { ... }`.
 *
 * @param cancelsCoroutine `false` to only make the token current, leaving the coroutine to stop where the code it
 *        calls checks the token (as `ThreadLocal.asContextElement()` would)
 */
public fun CancellationToken.asContextElement(cancelsCoroutine: Boolean = true): CancellationTokenElement =
    CancellationTokenElement(this, cancelsCoroutine)

/**
 * A [Job] that is cancelled, at once and from the cancelling thread, when this token is cancelled, with a
 * [TaskCancelledException] carrying the reason as its cause (already cancelled if the token is). Use it as the
 * job of a scope or a coroutine that must stop with the token:
 *
 * ```kotlin
 * val scope = CoroutineScope(Dispatchers.Default + token.asJob())
 * scope.launch { poll() } // cancelled when the token is
 * ```
 *
 * The link goes one way: cancelling or completing the job does not cancel the token. Completing or cancelling the
 * job deregisters its callback from the token, so complete a job that is no longer needed (`job.complete()`) when
 * the token lives on. The job of [CancellationToken.none] is never cancelled by it.
 *
 * @param parent the job's parent, as in kotlinx.coroutines' `Job(parent)`: cancelling the parent cancels it too
 */
public fun CancellationToken.asJob(parent: Job? = null): CompletableJob {
    val job = Job(parent)
    val registration = onCancel { reason -> job.cancel(TaskCancelledException.of(reason)) }
    job.invokeOnCompletion { registration.close() }
    return job
}

/**
 * Suspends until this token is cancelled and returns the reason (at once if it already is), like tokio's
 * `cancelled().await`. Cancelling the waiting coroutine ends the wait with a `CancellationException` and
 * deregisters the callback from the token. On [CancellationToken.none] it suspends until the waiting coroutine is
 * cancelled.
 *
 * ```kotlin
 * launch {
 *     val reason = token.awaitCancelled()
 *     log.info("stopping: {}", reason.describe())
 * }
 * ```
 */
public suspend fun CancellationToken.awaitCancelled(): CancellationReason {
    reason().orElse(null)?.let { return it }
    return suspendCancellableCoroutine { continuation ->
        val registration = onCancel { reason -> continuation.resume(reason) }
        continuation.invokeOnCancellation { registration.close() }
    }
}
