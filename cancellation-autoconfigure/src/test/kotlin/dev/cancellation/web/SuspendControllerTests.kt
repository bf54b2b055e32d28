package dev.cancellation.web

import dev.cancellation.TaskCancelledException
import dev.cancellation.TaskTimeoutException
import dev.cancellation.testfixture.Waits.PROMPTLY
import java.time.Duration
import java.time.Instant
import java.util.concurrent.TimeUnit
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test
import org.springframework.beans.factory.annotation.Autowired
import org.springframework.boot.test.context.SpringBootTest
import org.springframework.boot.test.web.server.LocalServerPort

/**
 * `suspend` handlers on a real server on loopback: the request's token is [dev.cancellation.CancellationToken.current]
 * in the handler across suspensions and threads, with the caller's `X-Request-Timeout` as its deadline, and a
 * timeout ends the request with the starter's 504 problem detail. Reactor's automatic context propagation is left
 * off (Boot's default): the web edge does not need it.
 */
abstract class SuspendControllerTests {

    @LocalServerPort
    var port: Int = 0

    @Autowired
    lateinit var endpoints: SuspendTestApp.Endpoints

    @Test
    fun theRequestsTokenIsCurrentInTheHandlerAcrossSuspensionsAndThreadsWithTheCallersDeadline() {
        val before = Instant.now()

        val answer = WebClients.get(port, "/suspend/token", "X-Request-Timeout", "5000")

        assertThat(answer.status()).describedAs(answer.body()).isEqualTo(200)
        assertThat(answer.json<Boolean>("\$.hasToken")).isTrue()
        assertThat(Instant.parse(answer.json<String>("\$.deadline")))
            .isBetween(before.plusMillis(4000), Instant.now().plusMillis(5000))
        assertThat(answer.json<Boolean>("\$.sameAfterDelay")).isTrue()
        assertThat(answer.json<String>("\$.ioThread")).contains("DefaultDispatcher")
        assertThat(answer.json<Boolean>("\$.sameOnIo")).isTrue()
        assertThat(answer.json<Boolean>("\$.currentToken")).isTrue()
        assertThat(answer.json<Boolean>("\$.taskUnderRequest")).isTrue()
        assertThat(answer.json<String>("\$.taskDeadline")).isEqualTo(answer.json<String>("\$.deadline"))
    }

    @Test
    fun aCancellableSuspendCallAnswers504WhenTheCallersBudgetIsSpent() {
        val answer = WebClients.get(port, "/suspend/slow?ms=10000", "X-Request-Timeout", "400")

        assertThat(answer.status()).describedAs(answer.body()).isEqualTo(504)
        assertThat(answer.contentType()).isEqualTo("application/problem+json")
        assertThat(answer.json<String>("\$.title")).isEqualTo("Request deadline exceeded")
        assertThat(answer.json<String>("\$.detail")).isEqualTo("GET /suspend/slow: TIMEOUT")
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5))
    }

    @Test
    fun withTokenOnTheRequestsTokenAnswers504WhenTheCallersBudgetIsSpent() {
        val answer = WebClients.get(port, "/suspend/with-token?ms=10000", "X-Request-Timeout", "400")

        assertThat(answer.status()).describedAs(answer.body()).isEqualTo(504)
        assertThat(answer.json<String>("\$.title")).isEqualTo("Request deadline exceeded")
        assertThat(answer.json<String>("\$.detail")).isEqualTo("GET /suspend/with-token: TIMEOUT")
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5))
    }

    @Test
    fun theRequestsDeadlineCancelsTheHandlersCoroutineAndAnswers504() {
        endpoints.delayEnds.clear()

        val answer = WebClients.get(port, "/suspend/delay?ms=10000", "X-Request-Timeout", "400")

        assertThat(answer.status()).describedAs(answer.body()).isEqualTo(504)
        assertThat(answer.contentType()).isEqualTo("application/problem+json")
        assertThat(answer.json<String>("\$.title")).isEqualTo("Request deadline exceeded")
        assertThat(answer.json<String>("\$.detail")).isEqualTo("GET /suspend/delay: TIMEOUT")
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5))
        val ends = listOf(endpoints.delayEnds.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS),
            endpoints.delayEnds.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
        assertThat(ends).describedAs("the handler's coroutine and its child were cancelled by the request's deadline")
            .allSatisfy { assertThat(TaskCancelledException.find(it)).get().isInstanceOf(TaskTimeoutException::class.java) }
    }

    @Test
    fun aSuspendHandlerWithinItsBudgetAnswersNormally() {
        val answer = WebClients.get(port, "/suspend/with-token?ms=10", "X-Request-Timeout", "5000")

        assertThat(answer.status()).isEqualTo(200)
        assertThat(answer.body()).isEqualTo("done")
    }
}

/** On Spring MVC (Tomcat). */
@SpringBootTest(classes = [SuspendTestApp::class], webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = ["server.address=127.0.0.1", "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s"])
class MvcSuspendControllerTests : SuspendControllerTests()

/** On WebFlux (Reactor Netty). */
@SpringBootTest(classes = [SuspendTestApp::class], webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = ["spring.main.web-application-type=reactive", "server.address=127.0.0.1",
        "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s"])
class FluxSuspendControllerTests : SuspendControllerTests()
