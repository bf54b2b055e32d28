package dev.cancellation.grpc

import dev.cancellation.CancellationReason
import dev.cancellation.CancellationSource
import dev.cancellation.CancellationToken
import dev.cancellation.TaskCancelledException
import dev.cancellation.autoconfigure.CancellationAutoConfiguration
import dev.cancellation.autoconfigure.CancellationGrpcAutoConfiguration
import dev.cancellation.coroutines.currentToken
import dev.cancellation.coroutines.withToken
import dev.cancellation.task.TaskRegistry
import dev.cancellation.testfixture.Waits.PROMPTLY
import io.grpc.CallOptions
import io.grpc.ServerServiceDefinition
import io.grpc.Status
import io.grpc.StatusRuntimeException
import io.grpc.kotlin.ServerCalls
import io.grpc.stub.ClientCalls
import java.time.Duration
import java.time.Instant
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import kotlinx.coroutines.withContext
import org.assertj.core.api.Assertions.assertThat
import org.assertj.core.api.Assertions.catchThrowableOfType
import org.awaitility.Awaitility.await
import org.junit.jupiter.api.Test
import org.springframework.boot.autoconfigure.AutoConfigurations
import org.springframework.boot.test.context.runner.ApplicationContextRunner
import org.springframework.context.ApplicationContext

/**
 * A grpc-kotlin coroutine service (its method a `suspend` function, built with grpc-kotlin's `ServerCalls` as
 * generated code does) on a real gRPC server on loopback, behind the global server interceptors of the
 * auto-configuration in Spring gRPC's order: the call's token is current in the method across suspensions and
 * threads, and the client's cancel, the deadline or an operator's cancel cancels the coroutine, answered as for a
 * Java service.
 */
class GrpcCoroutineServiceTests {

    private val runner = ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration::class.java,
            CancellationGrpcAutoConfiguration::class.java))

    private fun serve(context: ApplicationContext, method: suspend (String) -> String): LoopbackGrpc {
        val service = ServerServiceDefinition.builder("test.Work")
            .addMethod(ServerCalls.unaryServerMethodDefinition(EmptyCoroutineContext, LoopbackGrpc.RUN, method))
            .build()
        val interceptors = GrpcServerCancellationTests.globalServerInterceptors(context)
        assertThat(interceptors.map { it.javaClass.simpleName }).containsExactly("CancellationServerInterceptor",
            "CoroutineTokenServerInterceptor")
        return LoopbackGrpc.start(service, interceptors, listOf())
    }

    private fun call(grpc: LoopbackGrpc, options: CallOptions): String =
        ClientCalls.blockingUnaryCall(grpc.channel, LoopbackGrpc.RUN, options, "request")

    /** A method that waits until cancelled, and reports when it started and what ended it. */
    private class Waiter {
        val started = CompletableFuture<CancellationToken>()
        val ended = CompletableFuture<Throwable>()

        suspend fun run(): String {
            started.complete(CancellationToken.current())
            try {
                awaitCancellation()
            } catch (ex: Throwable) {
                ended.complete(ex)
                throw ex
            }
        }
    }

    @Test
    fun theCallsTokenIsCurrentInTheSuspendMethodAcrossSuspensionsAndThreads() {
        runner.run { context ->
            serve(context) {
                val atStart = CancellationToken.current()
                val thread = Thread.currentThread()
                delay(20)
                val afterDelay = CancellationToken.current()
                val onIo = withContext(Dispatchers.IO) { delay(5); CancellationToken.current() }
                listOf(!atStart.isNone, afterDelay === atStart, onIo === atStart, currentToken() === atStart,
                    thread.name.contains("DefaultDispatcher"), atStart.deadline().map(Instant::toString).orElse("none"))
                    .joinToString(" ")
            }.use { grpc ->
                val before = Instant.now()

                val answer = call(grpc, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)).split(" ")

                assertThat(answer.take(5)).describedAs("token, same after delay, on IO, currentToken(), coroutine thread")
                    .containsOnly("true")
                assertThat(Instant.parse(answer[5])).isAfter(before).isBeforeOrEqualTo(Instant.now().plusSeconds(5))
            }
        }
    }

    @Test
    fun theClientsCancelCancelsTheCoroutine() {
        runner.run { context ->
            val waiter = Waiter()
            serve(context) { waiter.run() }.use { grpc ->
                val future = ClientCalls.futureUnaryCall(grpc.channel.newCall(LoopbackGrpc.RUN, CallOptions.DEFAULT),
                    "request")
                waiter.started.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)

                future.cancel(true)

                val ended = waiter.ended.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)
                assertThat(ended).isInstanceOf(TaskCancelledException::class.java)
                assertThat((ended as TaskCancelledException).reason().origin()).isEqualTo("client cancelled")
            }
        }
    }

    @Test
    fun theDeadlineCancelsTheCoroutineAndTheCallAnswersDeadlineExceeded() {
        runner.run { context ->
            val waiter = Waiter()
            serve(context) { waiter.run() }.use { grpc ->
                val failure = catchThrowableOfType(StatusRuntimeException::class.java) {
                    call(grpc, CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS))
                }

                assertThat(failure.status.code).isEqualTo(Status.Code.DEADLINE_EXCEEDED)
                // The token's own timer and gRPC's deadline fire together: the coroutine is cancelled by the first
                // of the token's callback (a TaskTimeoutException) and grpc-kotlin's cancel at the call's end.
                assertThat(waiter.ended.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(CancellationException::class.java)
                val token = waiter.started.get()
                assertThat(token.isNone).isFalse()
                await().atMost(PROMPTLY).untilAsserted {
                    assertThat(token.reason()).hasValueSatisfying { assertThat(it.isTimeout).isTrue() }
                }
            }
        }
    }

    @Test
    fun anOperatorsCancelOfTheCallsTaskCancelsTheCoroutineAndAnswersCancelled() {
        runner.withPropertyValues("cancellation.grpc.register-calls=true").run { context ->
            val waiter = Waiter()
            val registry = context.getBean(TaskRegistry::class.java)
            serve(context) { waiter.run() }.use { grpc ->
                val answer = CompletableFuture.supplyAsync {
                    catchThrowableOfType(StatusRuntimeException::class.java) { call(grpc, CallOptions.DEFAULT) }
                }
                waiter.started.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)
                val task = registry.list("test.Work/Run", null).single()

                assertThat(registry.cancel(task.id(), CancellationReason.requested("enough", "operator"))).isPresent()

                val failure = answer.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)
                assertThat(failure.status.code).isEqualTo(Status.Code.CANCELLED)
                assertThat(failure.status.description).isEqualTo("test.Work/Run: task cancelled")
                assertThat(TaskCancelledException.find(waiter.ended.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)))
                    .isPresent()
                await().atMost(PROMPTLY).until { registry.list("test.Work/Run", null).isEmpty() }
            }
        }
    }

    @Test
    fun aTimeoutOfTheMethodsOwnAnswersDeadlineExceededAsForAJavaService() {
        runner.run { context ->
            serve(context) {
                CancellationSource.childOf(currentToken(), Duration.ofMillis(200)).use { budget ->
                    withToken(budget.token()) { awaitCancellation() }
                }
            }.use { grpc ->
                val failure = catchThrowableOfType(StatusRuntimeException::class.java) {
                    call(grpc, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS))
                }

                assertThat(failure.status.code).isEqualTo(Status.Code.DEADLINE_EXCEEDED)
                assertThat(failure.status.description).isEqualTo("test.Work/Run: task timed out")
            }
        }
    }
}
