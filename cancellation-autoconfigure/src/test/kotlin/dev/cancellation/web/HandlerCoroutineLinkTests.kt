package dev.cancellation.web

import dev.cancellation.CancellationReason
import dev.cancellation.CancellationSource
import dev.cancellation.Internals.listSize
import dev.cancellation.TaskCancelledException
import dev.cancellation.spring.CancellationTokenAccessor
import dev.cancellation.testfixture.Waits.PROMPTLY
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.reactor.mono
import kotlinx.coroutines.yield
import org.assertj.core.api.Assertions.assertThat
import org.assertj.core.api.Assertions.catchThrowable
import org.awaitility.Awaitility.await
import org.junit.jupiter.api.Test
import reactor.util.context.Context

/**
 * [HandlerCoroutineLink] in coroutines made the way Spring makes a `suspend` handler's (`mono(context)`): the
 * token cancels the coroutine with its reason, and the callback is released when the coroutine completes.
 */
class HandlerCoroutineLinkTests {

    private val timeout = PROMPTLY

    @Test
    fun cancellingTheTokenCancelsTheHandlersCoroutineAndItsChildrenWithTheReason() {
        val source = CancellationSource.create()
        val started = CompletableFuture<Unit>()
        val childStarted = CompletableFuture<Unit>()
        val childEnded = CompletableFuture<Throwable>()
        val handler = mono(Dispatchers.Unconfined + HandlerCoroutineLink.of(source.token())) {
            launch(Dispatchers.IO) {
                try {
                    childStarted.complete(Unit)
                    awaitCancellation()
                } catch (ex: Throwable) {
                    childEnded.complete(ex)
                }
            }
            started.complete(Unit)
            awaitCancellation()
        }.toFuture()
        started.get(timeout.toMillis(), TimeUnit.MILLISECONDS)
        // a child cancelled before it runs never enters its body: wait until it is in it
        childStarted.get(timeout.toMillis(), TimeUnit.MILLISECONDS)
        assertThat(listSize(source.token())).describedAs("one callback, for the handler's coroutine").isEqualTo(1)
        val reason = CancellationReason.requested("enough", "operator")

        source.cancel(reason)

        val failure = catchThrowable { handler.get(timeout.toMillis(), TimeUnit.MILLISECONDS) }
        assertThat(TaskCancelledException.find(failure)).get().extracting { it.reason() }.isSameAs(reason)
        assertThat(TaskCancelledException.find(childEnded.get(timeout.toMillis(), TimeUnit.MILLISECONDS))).isPresent()
    }

    @Test
    fun thePrototypeForWebFluxTakesTheTokenFromTheReactorContext() {
        val source = CancellationSource.create()
        val started = CompletableFuture<Unit>()
        val handler = mono(Dispatchers.Unconfined + HandlerCoroutineLink.fromReactorContext()) {
            started.complete(Unit)
            awaitCancellation()
        }.contextWrite(Context.of(CancellationTokenAccessor.KEY, source.token())).toFuture()
        started.get(timeout.toMillis(), TimeUnit.MILLISECONDS)

        source.cancel()

        assertThat(TaskCancelledException.find(catchThrowable { handler.get(timeout.toMillis(), TimeUnit.MILLISECONDS) }))
            .isPresent()
    }

    @Test
    fun theCallbackIsReleasedWhenTheHandlerCompletesAndAPrototypeServesEveryHandler() {
        val source = CancellationSource.create()
        val prototype = HandlerCoroutineLink.of(source.token())

        repeat(500) { i ->
            val answer = mono(Dispatchers.Unconfined + prototype) {
                if (i % 2 == 0) delay(1) else yield()
                i
            }.block(timeout)
            assertThat(answer).isEqualTo(i)
        }

        // removed as each coroutine completes, which may be just after its result reached the subscriber
        await().atMost(timeout).until { listSize(source.token()) == 0 }
        assertThat(source.token().isCancelled).isFalse()
    }

    @Test
    fun aTokenAlreadyCancelledCancelsTheHandlerAtItsFirstSuspension() {
        val source = CancellationSource.create()
        source.cancel(CancellationReason.shutdown("test"))

        val failure = catchThrowable { mono(Dispatchers.Unconfined + HandlerCoroutineLink.of(source.token())) {
            delay(10_000)
            "late"
        }.block(timeout) }

        assertThat(TaskCancelledException.find(failure)).get()
            .extracting { it.reason().kind() }.isEqualTo(CancellationReason.Kind.SHUTDOWN)
    }
}
