package dev.cancellation.web

import dev.cancellation.CancellationReason
import dev.cancellation.TaskCancelledException
import dev.cancellation.task.TaskRegistry
import dev.cancellation.testfixture.Waits.PROMPTLY
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import org.assertj.core.api.Assertions.assertThat
import org.awaitility.Awaitility.await
import org.junit.jupiter.api.Test
import org.springframework.beans.factory.annotation.Autowired
import org.springframework.boot.test.context.SpringBootTest
import org.springframework.boot.test.web.server.LocalServerPort

/**
 * A `suspend` handler that only suspends, registered as a task (`cancellation.web.register-requests`): an operator's
 * cancel of the request's task cancels the handler's coroutine and its child with the reason, and the request is
 * answered `409 Task cancelled`.
 */
abstract class SuspendHandlerOperatorCancelTests {

    @LocalServerPort
    var port: Int = 0

    @Autowired
    lateinit var registry: TaskRegistry

    @Autowired
    lateinit var endpoints: SuspendTestApp.Endpoints

    @Test
    fun anOperatorsCancelOfTheRequestCancelsTheHandlersCoroutineAndAnswers409() {
        endpoints.delayEnds.clear()
        endpoints.delayStarts.clear()
        val answer = CompletableFuture.supplyAsync { WebClients.get(port, "/suspend/delay?ms=30000") }
        assertThat(endpoints.delayStarts.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isNotNull()
        val request = registry.list("GET /suspend/delay", null).single()

        registry.cancel(request.id(), CancellationReason.requested("stuck", "operator"))

        val cancelled = answer.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)
        assertThat(cancelled.status()).describedAs(cancelled.body()).isEqualTo(409)
        assertThat(cancelled.json<String>("\$.title")).isEqualTo("Task cancelled")
        assertThat(cancelled.json<String>("\$.detail")).isEqualTo("GET /suspend/delay: REQUESTED")
        val ends = listOf(endpoints.delayEnds.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS),
            endpoints.delayEnds.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        assertThat(ends).describedAs("the handler's coroutine and its child, cancelled with the operator's reason")
            .allSatisfy {
                assertThat(TaskCancelledException.find(it)).get()
                    .extracting { cancel -> cancel.reason().origin() }.isEqualTo("operator")
            }
        await().atMost(PROMPTLY).until { registry.list("GET /suspend/delay", null).isEmpty() }
    }
}

/** On Spring MVC (Tomcat). */
@SpringBootTest(classes = [SuspendTestApp::class], webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = ["server.address=127.0.0.1", "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s",
        "cancellation.web.register-requests=true"])
class MvcSuspendHandlerOperatorCancelTests : SuspendHandlerOperatorCancelTests()

/** On WebFlux (Reactor Netty). */
@SpringBootTest(classes = [SuspendTestApp::class], webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = ["spring.main.web-application-type=reactive", "server.address=127.0.0.1",
        "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s", "cancellation.web.register-requests=true"])
class FluxSuspendHandlerOperatorCancelTests : SuspendHandlerOperatorCancelTests()
