package dev.cancellation.coroutines

import dev.cancellation.CancellationReason
import dev.cancellation.CancellationSource
import dev.cancellation.CancellationToken
import dev.cancellation.Internals.listSize
import dev.cancellation.TaskCancelledException
import dev.cancellation.TaskTimeoutException
import dev.cancellation.testfixture.Waits.PROMPTLY
import java.time.Duration
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.async
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.job
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test

/** The Kotlin extension API: `withToken { }`, `asJob()`, `awaitCancelled()`, `currentToken()` and the context element. */
class CancellationCoroutinesTests {

    /** Runs a test body in a coroutine that cannot hang the build. */
    private fun test(body: suspend CoroutineScope.() -> Unit) = runBlocking { withTimeout(PROMPTLY.toMillis()) { body() } }

    /** What [block] throws, `null` if it returns. */
    private suspend fun caught(block: suspend () -> Unit): Throwable? =
        try {
            block()
            null
        } catch (ex: Throwable) {
            ex
        }

    @Test
    fun cancellingTheTokenCancelsTheBlocksJobAtOnceAndWithTokenThrowsTheReason() = test {
        val source = CancellationSource.create()
        val blockJob = CompletableDeferred<Job>()
        val cleanedUp = CompletableDeferred<Throwable?>()
        val call = async(Dispatchers.Default) {
            caught {
                withToken(source.token()) {
                    blockJob.complete(coroutineContext.job)
                    try {
                        awaitCancellation()
                    } catch (ex: CancellationException) {
                        cleanedUp.complete(ex)
                        throw ex
                    }
                }
            }
        }
        val job = blockJob.await()
        val reason = CancellationReason.requested("test", "operator")

        source.cancel(reason)

        // marked by the cancelling thread, before cancel() returned
        assertThat(job.isCancelled).isTrue()
        assertThat(TaskCancelledException.find(cleanedUp.await())).get().extracting { it.reason() }.isSameAs(reason)
        val thrown = call.await()
        assertThat(thrown).isInstanceOf(TaskCancelledException::class.java)
        assertThat((thrown as TaskCancelledException).reason()).isSameAs(reason)
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun aDeadlineEndsTheBlockWithATaskTimeoutException() = test {
        val source = CancellationSource.withTimeout(Duration.ofMillis(100))
        val started = System.nanoTime()

        val thrown = caught { withToken(source.token()) { awaitCancellation() } }

        assertThat(thrown).isInstanceOf(TaskTimeoutException::class.java)
        assertThat((thrown as TaskTimeoutException).reason().kind()).isEqualTo(CancellationReason.Kind.TIMEOUT)
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(90))
    }

    @Test
    fun anAlreadyCancelledTokenThrowsWithoutRunningTheBlock() = test {
        val source = CancellationSource.create()
        val reason = CancellationReason.shutdown("test")
        source.cancel(reason)
        var ran = false

        val thrown = caught { withToken(source.token()) { ran = true } }

        assertThat(thrown).isInstanceOf(TaskCancelledException::class.java)
        assertThat((thrown as TaskCancelledException).reason()).isSameAs(reason)
        assertThat(ran).isFalse()
    }

    @Test
    fun cancellingTheCallerCancelsTheBlockButNotTheTokenAndReleasesTheCallback() = test {
        val source = CancellationSource.create()
        val inside = CompletableDeferred<Unit>()
        val seen = AtomicReference<Throwable>()
        val caller = launch(Dispatchers.Default) {
            try {
                withToken(source.token()) {
                    inside.complete(Unit)
                    awaitCancellation()
                }
            } catch (ex: CancellationException) {
                seen.set(ex)
                throw ex
            }
        }
        inside.await()
        assertThat(listSize(source.token())).isEqualTo(1)

        caller.cancelAndJoin()

        assertThat(seen.get()).isInstanceOf(CancellationException::class.java)
            .isNotInstanceOf(TaskCancelledException::class.java)
        assertThat(source.token().isCancelled).isFalse()
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun cancellingTheBlocksOwnJobIsACancellationOfTheBlockOnly() = test {
        val source = CancellationSource.create()

        val thrown = caught {
            withToken(source.token()) {
                coroutineContext.job.cancel()
                yield()
            }
        }

        assertThat(thrown).isInstanceOf(CancellationException::class.java)
            .isNotInstanceOf(TaskCancelledException::class.java)
        assertThat(source.token().isCancelled).isFalse()
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun theTokenIsCurrentAcrossDelayWithContextAndChildCoroutinesAndNotAfterwards() = test {
        val token = CancellationSource.create().token()
        val single = Executors.newSingleThreadExecutor { runnable -> Thread(runnable, "single") }
        try {
            val dispatcher = single.asCoroutineDispatcher()
            val seen = mutableMapOf<String, Any>()
            withContext(dispatcher) {
                withToken(token) {
                    seen["start"] = CancellationToken.current()
                    delay(10)
                    seen["afterDelay"] = CancellationToken.current()
                    withContext(Dispatchers.IO) {
                        seen["ioThread"] = Thread.currentThread().name
                        seen["io"] = CancellationToken.current()
                        delay(10)
                        seen["ioAfterDelay"] = CancellationToken.current()
                    }
                    seen["child"] = async(Dispatchers.Default) { delay(1); CancellationToken.current() }.await()
                    seen["currentToken"] = currentToken()
                }
                seen["after"] = CancellationToken.current()
            }
            // the single thread runs other coroutines afterwards without the token
            seen["sameThreadLater"] = withContext(dispatcher) { CancellationToken.current() }

            assertThat(seen["ioThread"] as String).isNotEqualTo("single")
            assertThat(listOf("start", "afterDelay", "io", "ioAfterDelay", "child", "currentToken").map { seen[it] })
                .allSatisfy { assertThat(it).isSameAs(token) }
            assertThat(seen["after"]).isSameAs(CancellationToken.none())
            assertThat(seen["sameThreadLater"]).isSameAs(CancellationToken.none())
        } finally {
            single.shutdown()
        }
    }

    @Test
    fun nestedWithTokenMakesTheInnerTokenCurrentAndRestoresTheOuterOne() = test {
        val outer = CancellationSource.create()
        val inner = CancellationSource.childOf(outer.token())
        withToken(outer.token()) {
            val inside = withToken(inner.token()) { delay(1); CancellationToken.current() }
            assertThat(inside).isSameAs(inner.token())
            delay(1)
            assertThat(CancellationToken.current()).isSameAs(outer.token())
            assertThat(currentToken()).isSameAs(outer.token())
        }
        assertThat(listSize(outer.token())).isEqualTo(1) // the child link only
        inner.close()
        assertThat(listSize(outer.token())).isZero()
    }

    @Test
    fun theCallbackIsReleasedWhenTheBlockReturnsOrFails() = test {
        val source = CancellationSource.create()

        assertThat(withToken(source.token()) { delay(1); 42 }).isEqualTo(42)
        assertThat(listSize(source.token())).isZero()

        assertThat(caught { withToken(source.token()) { delay(1); error("boom") } })
            .isInstanceOf(IllegalStateException::class.java).hasMessage("boom")
        assertThat(listSize(source.token())).isZero()

        repeat(1000) { withToken(source.token()) { yield() } }
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun currentTokenFallsBackToTheThreadsBindingThenToNone() = test {
        assertThat(currentToken()).isSameAs(CancellationToken.none())
        val token = CancellationSource.create().token()
        dev.cancellation.Cancellation.enter(token).use {
            assertThat(currentToken()).isSameAs(token)
        }
        withContext(token.asContextElement()) {
            assertThat(currentToken()).isSameAs(token)
            assertThat(coroutineContext[CancellationTokenElement]!!.token).isSameAs(token)
        }
    }

    @Test
    fun awaitCancelledReturnsTheReason() = test {
        val source = CancellationSource.create()
        val waiting = async(Dispatchers.Default, CoroutineStart.UNDISPATCHED) { source.token().awaitCancelled() }
        val reason = CancellationReason.requested("test", "operator")

        source.cancel(reason)

        assertThat(waiting.await()).isSameAs(reason)
        assertThat(source.token().awaitCancelled()).describedAs("already cancelled: at once").isSameAs(reason)
    }

    @Test
    fun cancellingTheWaiterReleasesItsCallback() = test {
        val source = CancellationSource.create()
        val waiting = launch(start = CoroutineStart.UNDISPATCHED) { source.token().awaitCancelled() }
        assertThat(listSize(source.token())).isEqualTo(1)

        waiting.cancelAndJoin()

        assertThat(waiting.isCancelled).isTrue()
        assertThat(listSize(source.token())).isZero()
        assertThat(source.token().isCancelled).isFalse()
    }

    @Test
    fun asJobIsCancelledWithTheReasonWhenTheTokenIs() = test {
        val source = CancellationSource.create()
        val job = source.token().asJob()
        val scope = CoroutineScope(Dispatchers.Default + job)
        val stopped = CompletableDeferred<Throwable>()
        val started = CompletableDeferred<Unit>()
        scope.launch {
            try {
                started.complete(Unit)
                awaitCancellation()
            } catch (ex: CancellationException) {
                stopped.complete(ex)
            }
        }
        started.await()
        val reason = CancellationReason.timeout(Duration.ofSeconds(1))

        source.cancel(reason)

        assertThat(job.isCancelled).isTrue()
        assertThat(TaskCancelledException.find(stopped.await())).get()
            .isInstanceOf(TaskTimeoutException::class.java).extracting { it.reason() }.isSameAs(reason)
        assertThat(listSize(source.token())).isZero()
    }

    @Test
    fun completingTheJobReleasesItsCallbackAndLeavesTheTokenAlone() = test {
        val source = CancellationSource.create()
        val job = source.token().asJob()
        assertThat(listSize(source.token())).isEqualTo(1)

        job.complete()
        job.join()

        assertThat(listSize(source.token())).isZero()
        source.cancel()
        assertThat(job.isCancelled).isFalse()

        val cancelledJob = CancellationSource.create().token().asJob()
        cancelledJob.cancel()
        assertThat(cancelledJob.isCancelled).isTrue()
    }

    @Test
    fun theJobOfACancelledTokenIsCancelledAlreadyAndAChildOfItsParent() = test {
        val source = CancellationSource.create()
        source.cancel()
        assertThat(source.token().asJob().isCancelled).isTrue()

        val parent = Job()
        val child = CancellationSource.create().token().asJob(parent)
        parent.cancel()
        assertThat(child.isCancelled).isTrue()
    }
}
