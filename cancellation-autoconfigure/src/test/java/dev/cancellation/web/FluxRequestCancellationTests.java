package dev.cancellation.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.web.WebClients.Answer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The inbound edge on WebFlux over real HTTP: a real Reactor Netty server on a random loopback port. */
@SpringBootTest(classes = FluxTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.main.web-application-type=reactive", "server.address=127.0.0.1",
            "spring.reactor.context-propagation=auto", "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s",
            "cancellation.web.additional-deadline-headers.grpc-timeout=grpc-timeout"})
class FluxRequestCancellationTests {

    @LocalServerPort
    int port;

    @Autowired
    WebClients.Probe probe;

    @Autowired
    InFlightRequests requests;

    @Test
    void theTokenIsInTheReactorContextAndCancellableCallsAreItsChildrenWithItsDeadline() {
        Instant before = Instant.now();
        Answer answer = WebClients.get(port, "/token", "X-Request-Timeout", "5000");

        assertThat(answer.status()).isEqualTo(200);
        assertThat((Boolean) answer.json("$.handlerHasToken")).isTrue();
        assertThat((Boolean) answer.json("$.taskUnderHandler")).isTrue();
        assertThat(Instant.parse(answer.json("$.handlerDeadline")))
                .isBetween(before.plusMillis(4000), Instant.now().plusMillis(5000));
        assertThat((String) answer.json("$.taskDeadline")).isEqualTo(answer.json("$.handlerDeadline"));
    }

    @Test
    void withAutomaticContextPropagationTheTokenIsCurrentOnTheHandlersThread() {
        Answer answer = WebClients.get(port, "/current", "X-Request-Timeout", "5000");

        assertThat((Boolean) answer.json("$.hasToken")).isTrue();
        assertThat((String) answer.json("$.deadline")).isNotEqualTo("-");
    }

    @Test
    void aCancellableCallAnswers504WhenTheCallersBudgetIsSpent() {
        Answer answer = WebClients.get(port, "/api/reports/7?ms=10000", "X-Request-Timeout", "400");

        assertThat(answer.status()).isEqualTo(504);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat((String) answer.json("$.title")).isEqualTo("Request deadline exceeded");
        assertThat((String) answer.json("$.reason.kind")).isEqualTo("TIMEOUT");
        assertThat((String) answer.json("$.instance")).isEqualTo("/api/reports/7");
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5));
    }

    /** A gRPC-Web caller's grpc-timeout is its budget. */
    @Test
    void aGrpcTimeoutHeaderIsTheCallersBudget() {
        Answer answer = WebClients.get(port, "/api/reports/7?ms=10000", "grpc-timeout", "400m");

        assertThat(answer.status()).isEqualTo(504);
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5));
        assertThat(WebClients.get(port, "/plain", "grpc-timeout", "soon").status()).isEqualTo(400);
    }

    /** The caller's budget ran out on a plain page: the answer says so, not that some task timed out. */
    @Test
    void aPlainPageWhoseBudgetRunsOutAnswers504RequestDeadlineExceeded() {
        Answer answer = WebClients.get(port, "/plain", "X-Request-Timeout", "400");

        assertThat(answer.status()).isEqualTo(504);
        assertThat((String) answer.json("$.title")).isEqualTo("Request deadline exceeded");
        assertThat((String) answer.json("$.detail")).isEqualTo("GET /plain: TIMEOUT");
        assertThat((String) answer.json("$.reason.kind")).isEqualTo("TIMEOUT");
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5));
    }

    /** A {@code @Cancellable} method's own timeout, shorter than the request's budget, is the task's timeout. */
    @Test
    void aTasksOwnShorterTimeoutInsideALongBudgetAnswers504TaskTimedOut() {
        Answer answer = WebClients.get(port, "/short?ms=10000", "X-Request-Timeout", "30000");

        assertThat(answer.status()).isEqualTo(504);
        assertThat((String) answer.json("$.title")).isEqualTo("Task timed out");
        assertThat((String) answer.json("$.detail")).isEqualTo("GET /short: TIMEOUT");
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(290)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aRequestWithinItsBudgetAnswersNormally() {
        Answer answer = WebClients.get(port, "/api/reports/8?ms=20", "X-Request-Timeout", "5000");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("done");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-250"})
    void aSpentBudgetAnswers504WithoutRunningTheHandler(String value) {
        Answer answer = WebClients.get(port, "/api/reports/spent" + value + "?ms=10", "X-Request-Timeout", value);

        assertThat(answer.status()).isEqualTo(504);
        assertThat((String) answer.json("$.header")).isEqualTo("X-Request-Timeout");
        assertThat((String) answer.json("$.value")).isEqualTo(value);
        assertThat(probe.recorded("report-spent" + value)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "1.5", "10s", "--5"})
    void aMalformedHeaderAnswers400NamingTheHeaderAndTheValue(String value) {
        Answer answer = WebClients.get(port, "/api/reports/10?ms=10", "X-Request-Timeout", value);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat((String) answer.json("$.header")).isEqualTo("X-Request-Timeout");
        assertThat((String) answer.json("$.value")).isEqualTo(value);
    }

    /**
     * A call made outside a {@code @Cancellable} method fails with an exception whose message is the downstream
     * request, user-info and query string included: none of it reaches the client, only the route and the kind.
     */
    @Test
    void aTimedOutDownstreamCallAnswers504WithoutItsUriUserInfoOrQuery() {
        Answer answer = WebClients.get(port, "/fails/downstream");

        assertThat(answer.status()).isEqualTo(504);
        assertThat((String) answer.json("$.title")).isEqualTo("Task timed out");
        assertThat((String) answer.json("$.detail")).isEqualTo("GET /fails/downstream: TIMEOUT");
        assertThat((String) answer.json("$.reason.kind")).isEqualTo("TIMEOUT");
        assertThat((String) answer.json("$.reason.at")).isNotBlank();
        assertThat(answer.body()).doesNotContain("svc-user", "hunter2", "inventory.internal", "apiKey", "s3cr3t",
                "sku=", "not sent", "origin");
    }

    @Test
    void theApplicationsOwnExceptionHandlerWins() {
        Answer answer = WebClients.get(port, "/own?ms=10000", "X-Request-Timeout", "200");

        assertThat(answer.status()).isEqualTo(418);
        assertThat(answer.body()).isEqualTo("own handler: TIMEOUT");
    }

    @Test
    void shutdownAndRejectionAnswer503AndARequestedCancel409() {
        assertThat(WebClients.get(port, "/fails/shutdown").status()).isEqualTo(503);
        assertThat(WebClients.get(port, "/fails/rejected").status()).isEqualTo(503);
        Answer requested = WebClients.get(port, "/fails/requested");
        assertThat(requested.status()).isEqualTo(409);
        assertThat((String) requested.json("$.detail")).isEqualTo("GET /fails/requested: REQUESTED");
        assertThat(requested.body()).doesNotContain("alice", "origin");
    }

    @Test
    void aClientThatGoesAwayCancelsTheRequest() throws Exception {
        CancellationToken token = WebClients.disconnectAfterHandlerStarted(port, "/hang?probe=gone", probe, "gone");

        await().atMost(Duration.ofSeconds(10)).until(token::isCancelled);
        CancellationReason reason = token.reason().orElseThrow();
        assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
        assertThat(reason.origin()).isEqualTo("client disconnected");
        await().atMost(Duration.ofSeconds(10)).until(() -> !requests.isInFlight(token));
    }
}
