package dev.cancellation.coroutines

import dev.cancellation.CancellationReason
import dev.cancellation.CancellationSource
import dev.cancellation.CancellationToken
import dev.cancellation.Internals.listSize
import dev.cancellation.TaskCancelledException
import dev.cancellation.TaskTimeoutException
import dev.cancellation.testfixture.Waits.PROMPTLY
import java.time.Duration
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.joinAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test

/** [CancellationTokenElement] as `asContextElement()` gives it: current, and cancelling the coroutine with the token. */
class CancellationTokenElementTests {

    private fun test(body: suspend CoroutineScope.() -> Unit) = runBlocking { withTimeout(PROMPTLY.toMillis()) { body() } }

    /** A coroutine that waits forever and reports how it ended (the exception its `finally` saw). */
    private fun CoroutineScope.waiter(
        context: kotlin.coroutines.CoroutineContext,
        started: CompletableDeferred<Unit>,
        ended: CompletableDeferred<Throwable?>,
    ): Job = launch(context) {
        var failure: Throwable? = null
        try {
            started.complete(Unit)
            awaitCancellation()
        } catch (ex: Throwable) {
            failure = ex
            throw ex
        } finally {
            withContext(NonCancellable) { ended.complete(failure) }
        }
    }

    @Test
    fun cancellingTheTokenCancelsACoroutineThatCarriesItsElementWithTheReason() = test {
        val source = CancellationSource.create()
        val started = CompletableDeferred<Unit>()
        val ended = CompletableDeferred<Throwable?>()
        val job = waiter(Dispatchers.Default + source.token().asContextElement(), started, ended)
        started.await()
        assertThat(listSize(source.token())).isEqualTo(1)
        val reason = CancellationReason.requested("enough", "operator")

        source.cancel(reason)

        assertThat(job.isCancelled).describedAs("cancelled by the cancelling thread, before cancel() returned").isTrue()
        val seen = ended.await()
        assertThat(seen).isInstanceOf(TaskCancelledException::class.java)
        assertThat((seen as TaskCancelledException).reason()).isSameAs(reason)
        job.join()
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun aDeadlineCancelsTheCoroutineWithATaskTimeoutException() = test {
        val source = CancellationSource.withTimeout(Duration.ofMillis(100))
        val ended = CompletableDeferred<Throwable?>()

        waiter(Dispatchers.Default + source.token().asContextElement(), CompletableDeferred(), ended).join()

        assertThat(ended.await()).isInstanceOf(TaskTimeoutException::class.java)
    }

    @Test
    fun anAlreadyCancelledTokenCancelsTheCoroutineBeforeItsBodyRuns() = test {
        val source = CancellationSource.create()
        source.cancel(CancellationReason.shutdown("test"))
        var ran = false

        val cause = CompletableDeferred<Throwable?>()
        val job = launch(Dispatchers.Default + source.token().asContextElement()) { ran = true }
        job.invokeOnCompletion { cause.complete(it) }
        job.join()

        assertThat(job.isCancelled).isTrue()
        assertThat(ran).isFalse()
        assertThat(TaskCancelledException.find(cause.await())).get()
            .extracting { it.reason().kind() }.isEqualTo(CancellationReason.Kind.SHUTDOWN)
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun childrenFollowTheLinkedParentWithoutCallbacksOfTheirOwn() = test {
        val source = CancellationSource.create()
        val childrenStarted = CompletableDeferred<Unit>()
        val childEnds = List(50) { CompletableDeferred<Throwable?>() }
        val parent = launch(Dispatchers.Default + source.token().asContextElement()) {
            coroutineScope {
                val started = List(50) { CompletableDeferred<Unit>() }
                childEnds.forEachIndexed { i, ended -> waiter(Dispatchers.IO, started[i], ended) }
                started.forEach { it.await() }
                assertThat(CancellationToken.current()).isSameAs(source.token())
                childrenStarted.complete(Unit)
            }
        }
        childrenStarted.await()
        assertThat(listSize(source.token())).describedAs("the parent's callback only").isEqualTo(1)

        source.cancel()

        childEnds.forEach { assertThat(TaskCancelledException.find(it.await())).isPresent() }
        parent.join()
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun oneElementSharedByUnrelatedCoroutinesCancelsEachAndReleasesEachCallback() = test {
        val source = CancellationSource.create()
        val element = source.token().asContextElement()

        // started undispatched, so that each has run (and linked) before it is joined
        repeat(500) {
            CoroutineScope(Dispatchers.Default + element).launch(start = CoroutineStart.UNDISPATCHED) { yield() }.join()
        }
        assertThat(listSize(source.token())).describedAs("released as each completed").isZero()

        val ends = List(3) { CompletableDeferred<Throwable?>() }
        val starts = List(3) { CompletableDeferred<Unit>() }
        val jobs = List(3) { waiter(Job() + Dispatchers.Default + element, starts[it], ends[it]) }
        starts.forEach { it.await() }
        assertThat(listSize(source.token())).isEqualTo(3)

        source.cancel()

        ends.forEach { assertThat(it.await()).isInstanceOf(TaskCancelledException::class.java) }
        jobs.joinAll()
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun aCoroutineLaunchedOutsideTheLinkedHierarchyGetsItsOwnLink() = test {
        val source = CancellationSource.create()
        val started = CompletableDeferred<Unit>()
        val ended = CompletableDeferred<Throwable?>()
        val detached = CompletableDeferred<Job>()
        val parent = launch(Dispatchers.Default + source.token().asContextElement()) {
            detached.complete(CoroutineScope(coroutineContext + Job()).waiter(Dispatchers.IO, started, ended))
        }
        started.await()
        detached.await()
        parent.join() // after it ran: its callback's removal comes before this join's resumption
        assertThat(listSize(source.token())).describedAs("the detached coroutine's").isEqualTo(1)

        source.cancel()

        assertThat(ended.await()).isInstanceOf(TaskCancelledException::class.java)
        detached.await().join()
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun anElementThatDoesNotCancelOnlyMakesTheTokenCurrent() = test {
        val source = CancellationSource.create()
        val seen = CompletableDeferred<CancellationToken>()
        val job = launch(Dispatchers.Default + source.token().asContextElement(cancelsCoroutine = false)) {
            delay(1)
            seen.complete(CancellationToken.current())
            delay(50)
        }
        assertThat(seen.await()).isSameAs(source.token())
        assertThat(listSize(source.token())).isZero()

        source.cancel()

        job.join()
        assertThat(job.isCancelled).isFalse()
    }

    @Test
    fun cancellingTheCoroutineLeavesTheTokenAloneAndReleasesTheCallback() = test {
        val source = CancellationSource.create()
        val started = CompletableDeferred<Unit>()
        val ended = CompletableDeferred<Throwable?>()
        val job = waiter(Dispatchers.Default + source.token().asContextElement(), started, ended)
        started.await()

        job.cancel()
        job.join()

        assertThat(ended.await()).isInstanceOf(CancellationException::class.java)
            .isNotInstanceOf(TaskCancelledException::class.java)
        assertThat(source.token().isCancelled).isFalse()
        assertThat(listSize(source.token())).isZero()
    }
}
