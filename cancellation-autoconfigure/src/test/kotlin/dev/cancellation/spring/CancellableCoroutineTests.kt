package dev.cancellation.spring

import dev.cancellation.CancellationReason
import dev.cancellation.CancellationToken
import dev.cancellation.TaskCancelledException
import dev.cancellation.TaskTimeoutException
import dev.cancellation.annotation.Cancellable
import dev.cancellation.spring.CancellableTestSupport.awaitEmpty
import dev.cancellation.spring.CancellableTestSupport.awaitTask
import dev.cancellation.task.TaskRegistry
import dev.cancellation.task.TaskState
import dev.cancellation.testfixture.Waits.PROMPTLY
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicReference
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import org.assertj.core.api.Assertions.assertThat
import org.assertj.core.api.Assertions.catchThrowable
import org.junit.jupiter.api.Test
import org.springframework.boot.test.context.runner.ApplicationContextRunner

/**
 * `suspend` `@Cancellable` functions: detected as suspending (not by their erased `Object` return type) and run
 * like a `Mono`, so the timeout, an operator's cancel and the caller's cancellation reach the coroutine.
 */
class CancellableCoroutineTests {

    private val runner: ApplicationContextRunner = CancellableTestSupport.runner()
        .withBean(Probe::class.java).withBean(Suspending::class.java)

    @Test
    fun suspendFunctionIsRunAsAReactiveTask() {
        runner.run { context ->
            val method = CancellableMethodResolver(null).find(Suspending::class.java.getMethod("add", Int::class.java, Int::class.java,
                    kotlin.coroutines.Continuation::class.java), Suspending::class.java)
            assertThat(method!!.mode()).isEqualTo(CancellableMethod.Mode.REACTIVE)
            val suspending = context.getBean(Suspending::class.java)
            assertThat(runBlocking { suspending.add(1, 2) }).isEqualTo(3)
            assertThat(context.getBean(TaskRegistry::class.java).size()).isZero()
        }
    }

    @Test
    fun suspendFunctionReturningAFlowIsATaskUntilTheFlowCompletes() {
        runner.run { context ->
            val method = CancellableMethodResolver(null).find(Suspending::class.java.getMethod("numbers",
                kotlin.coroutines.Continuation::class.java), Suspending::class.java)
            assertThat(method!!.mode()).isEqualTo(CancellableMethod.Mode.REACTIVE)
            val suspending = context.getBean(Suspending::class.java)
            val values = runBlocking { withTimeout(PROMPTLY.toMillis()) { suspending.numbers().toList() } }
            assertThat(values).containsExactly(1, 2, 3)
            assertThat(context.getBean(TaskRegistry::class.java).size()).isZero()
        }
    }

    @Test
    fun timeoutCancelsTheCoroutine() {
        runner.run { context ->
            val suspending = context.getBean(Suspending::class.java)
            val probe = context.getBean(Probe::class.java)
            val failure = catchThrowable { runBlocking { withTimeout(PROMPTLY.toMillis()) { suspending.never() } } }
            assertThat(failure).isInstanceOf(TaskTimeoutException::class.java)
            assertThat(probe.coroutineCancelled.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue()
            val registry = context.getBean(TaskRegistry::class.java)
            awaitEmpty(registry)
            assertThat(registry.history()).first().satisfies({ info ->
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED)
                assertThat(info.reason()!!.kind()).isEqualTo(CancellationReason.Kind.TIMEOUT)
            })
        }
    }

    @Test
    fun operatorCancelCancelsTheCoroutineAndFailsTheCaller() {
        runner.run { context ->
            val suspending = context.getBean(Suspending::class.java)
            val probe = context.getBean(Probe::class.java)
            val registry = context.getBean(TaskRegistry::class.java)
            val failure = catchThrowable {
                runBlocking(Dispatchers.Default) {
                    val call = async(Dispatchers.IO) { suspending.endless() }
                    val task = withContext(Dispatchers.IO) {
                        // the coroutine is running: a cancel before the subscription would never start it
                        assertThat(probe.started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue()
                        awaitTask(registry, "Suspending.endless", TaskState.RUNNING)
                    }
                    registry.cancel(task.id(), CancellationReason.requested("test", "operator"))
                    call.await()
                }
            }
            assertThat(failure).isInstanceOf(TaskCancelledException::class.java)
            assertThat(probe.coroutineCancelled.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue()
            awaitEmpty(registry)
            assertThat(registry.history()).first().satisfies({ info ->
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED)
                assertThat(info.reason()!!.origin()).isEqualTo("operator")
            })
        }
    }

    @Test
    fun callerCancellationCancelsTheTask() {
        runner.run { context ->
            val suspending = context.getBean(Suspending::class.java)
            val probe = context.getBean(Probe::class.java)
            val registry = context.getBean(TaskRegistry::class.java)
            runBlocking {
                val call = async(Dispatchers.IO, CoroutineStart.DEFAULT) { suspending.endless() }
                withContext(Dispatchers.IO) {
                    assertThat(probe.started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue()
                    awaitTask(registry, "Suspending.endless", TaskState.RUNNING)
                }
                call.cancel()
            }
            assertThat(probe.coroutineCancelled.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue()
            awaitEmpty(registry)
            assertThat(registry.history()).first().satisfies({ info ->
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED)
                assertThat(info.reason()!!.origin()).isEqualTo("subscriber")
            })
        }
    }

    @Test
    fun tokenIsTheParameterAndCurrentAcrossSuspensionsAndThreads() {
        runner.run { context ->
            val suspending = context.getBean(Suspending::class.java)
            val probe = context.getBean(Probe::class.java)
            val afterResume = runBlocking { withTimeout(PROMPTLY.toMillis()) { suspending.current(CancellationToken.none()) } }
            val parameter = probe.parameter.get()
            assertThat(parameter.isNone).isFalse()
            assertThat(probe.beforeSuspension.get()).isSameAs(parameter)
            assertThat(afterResume).isSameAs(parameter)
        }
    }

    class Probe {
        val coroutineCancelled = CountDownLatch(1)
        val parameter = AtomicReference<CancellationToken>()
        val beforeSuspension = AtomicReference<CancellationToken>()
        val started = CountDownLatch(1)
    }

    /** Open, as CGLIB proxies subclass it. */
    open class Suspending(private val probe: Probe) {

        @Cancellable
        open suspend fun add(a: Int, b: Int): Int {
            delay(1)
            return a + b
        }

        @Cancellable
        open suspend fun numbers(): Flow<Int> {
            delay(1)
            return flowOf(1, 2, 3)
        }

        @Cancellable(timeout = "200ms")
        open suspend fun never(): String {
            try {
                awaitCancellation()
            } finally {
                probe.coroutineCancelled.countDown()
            }
        }

        @Cancellable
        open suspend fun endless(): String {
            try {
                probe.started.countDown()
                awaitCancellation()
            } finally {
                probe.coroutineCancelled.countDown()
            }
        }

        /** The token current after a suspension that resumes on another thread. */
        @Cancellable
        open suspend fun current(token: CancellationToken): CancellationToken {
            probe.parameter.set(token)
            probe.beforeSuspension.set(CancellationToken.current())
            return withContext(Dispatchers.IO) {
                delay(10)
                CancellationToken.current()
            }
        }
    }
}
