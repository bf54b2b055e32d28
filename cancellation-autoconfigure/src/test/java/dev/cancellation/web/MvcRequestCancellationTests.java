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

/**
 * The inbound edge on Spring MVC over real HTTP: a real Tomcat on a random loopback port, the JDK client. The
 * server shuts down at once: some tests leave requests whose client left (Tomcat is never told), and the test JVM
 * must not wait for them when it exits.
 */
@SpringBootTest(classes = MvcTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"server.address=127.0.0.1", "spring.mvc.async.request-timeout=60s", "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s",
            "cancellation.web.additional-deadline-headers.x-envoy-expected-rq-timeout-ms=milliseconds"})
class MvcRequestCancellationTests {

    @LocalServerPort
    int port;

    @Autowired
    WebClients.Probe probe;

    @Autowired
    MvcTestApp.Work work;

    @Autowired
    InFlightRequests requests;

    @Test
    void everyRequestHasATokenAndCancellableCallsAreItsChildrenWithItsDeadline() {
        Instant before = Instant.now();
        Answer answer = WebClients.get(port, "/token", "X-Request-Timeout", "5000");

        assertThat(answer.status()).isEqualTo(200);
        assertThat((Boolean) answer.json("$.handlerHasToken")).isTrue();
        assertThat((Boolean) answer.json("$.taskUnderHandler")).isTrue();
        Instant deadline = Instant.parse(answer.json("$.handlerDeadline"));
        assertThat(deadline).isBetween(before.plusMillis(4000), Instant.now().plusMillis(5000));
        assertThat((String) answer.json("$.taskDeadline")).isEqualTo(answer.json("$.handlerDeadline"));
    }

    @Test
    void withoutTheHeaderAndWithoutADefaultARequestHasATokenButNoDeadline() {
        Answer answer = WebClients.get(port, "/token");

        assertThat((Boolean) answer.json("$.handlerHasToken")).isTrue();
        assertThat((Object) answer.json("$.handlerDeadline")).isNull();
        assertThat((Boolean) answer.json("$.taskUnderHandler")).isTrue();
    }

    @Test
    void aCancellableCallAnswers504WhenTheCallersBudgetIsSpent() {
        Answer answer = WebClients.get(port, "/api/reports/7?ms=10000", "X-Request-Timeout", "400");

        assertThat(answer.status()).isEqualTo(504);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        // the @Cancellable call has no shorter timeout of its own: the request's deadline is what ran out
        assertThat((String) answer.json("$.title")).isEqualTo("Request deadline exceeded");
        assertThat((String) answer.json("$.reason.kind")).isEqualTo("TIMEOUT");
        assertThat((String) answer.json("$.detail")).isEqualTo("GET /api/reports/{id}: TIMEOUT");
        assertThat((String) answer.json("$.instance")).isEqualTo("/api/reports/7");
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5));
    }

    /** Behind Envoy or Istio, the mesh's header carries the caller's budget. */
    @Test
    void aMeshsDeadlineHeaderIsTheCallersBudget() {
        Answer answer = WebClients.get(port, "/api/reports/7?ms=10000", "x-envoy-expected-rq-timeout-ms", "400");

        assertThat(answer.status()).isEqualTo(504);
        assertThat((String) answer.json("$.title")).isEqualTo("Request deadline exceeded");
        assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(390)).isLessThan(Duration.ofSeconds(5));
    }

    /** The caller's budget ran out on a plain page: the answer says so, not that some task timed out. */
    @Test
    void aPlainPageWhoseBudgetRunsOutAnswers504RequestDeadlineExceeded() {
        Answer answer = WebClients.get(port, "/plain?ms=10000", "X-Request-Timeout", "400");

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
        int callsBefore = work.calls();

        Answer answer = WebClients.get(port, "/api/reports/9?ms=10", "X-Request-Timeout", value);

        assertThat(answer.status()).isEqualTo(504);
        assertThat((String) answer.json("$.title")).isEqualTo("Deadline exceeded");
        assertThat((String) answer.json("$.header")).isEqualTo("X-Request-Timeout");
        assertThat((String) answer.json("$.value")).isEqualTo(value);
        assertThat(work.calls()).isEqualTo(callsBefore);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "1.5", "10s", "1 000", "--5", "+"})
    void aMalformedHeaderAnswers400NamingTheHeaderAndTheValue(String value) {
        int callsBefore = work.calls();

        Answer answer = WebClients.get(port, "/api/reports/10?ms=10", "X-Request-Timeout", value);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat((String) answer.json("$.header")).isEqualTo("X-Request-Timeout");
        assertThat((String) answer.json("$.value")).isEqualTo(value);
        assertThat((String) answer.json("$.detail")).contains("X-Request-Timeout", "'" + value + "'");
        assertThat(work.calls()).isEqualTo(callsBefore);
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
        Answer shutdown = WebClients.get(port, "/fails/shutdown");
        Answer rejected = WebClients.get(port, "/fails/rejected");
        Answer requested = WebClients.get(port, "/fails/requested");

        assertThat(shutdown.status()).isEqualTo(503);
        assertThat((String) shutdown.json("$.reason.kind")).isEqualTo("SHUTDOWN");
        assertThat(rejected.status()).isEqualTo(503);
        assertThat((String) rejected.json("$.detail")).startsWith("GET /fails/rejected: ");
        assertThat(requested.status()).isEqualTo(409);
        assertThat((String) requested.json("$.detail")).isEqualTo("GET /fails/requested: REQUESTED");
        assertThat(requested.body()).doesNotContain("alice", "origin");
    }

    @ParameterizedTest
    @ValueSource(strings = {"stream", "sse"})
    void aClientThatGoesAwayCancelsAStreamingRequestAtItsNextWrite(String kind) throws Exception {
        String key = kind + "-gone";
        CancellationToken token = WebClients.disconnectAfterHandlerStarted(port, "/" + kind + "?probe=" + key, probe,
                key);

        await().atMost(Duration.ofSeconds(10)).until(token::isCancelled);
        CancellationReason reason = token.reason().orElseThrow();
        assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
        assertThat(reason.origin()).isEqualTo("client disconnected");
        assertThat(probe.awaitEnd(key)).contains("client disconnected");
        if (kind.equals("stream")) {
            // A stream's request ends when Spring MVC and Tomcat complete its async cycle, not when we cancel it:
            // usually within milliseconds, but on a loaded machine the container may only get there at its async
            // timeout (60 s here), or never report it; the starter closes it 5 s after that timeout at the latest.
            // A request that never left the set would be a leak.
            await().atMost(Duration.ofSeconds(75)).until(() -> !requests.isInFlight(token));
        }
    }

    /**
     * Tomcat reports nothing for an async request whose client goes away while nothing is written (the Servlet API
     * has no such signal): these handlers learn of it only through the container's async listener, when the
     * container reports an error; what they always get is their deadline.
     */
    @ParameterizedTest
    @ValueSource(strings = {"future", "callable"})
    void anAsyncHandlerThatWritesNothingIsStoppedByItsDeadlineAfterAnIdleDisconnect(String kind) throws Exception {
        String key = kind + "-idle";
        CancellationToken token = WebClients.disconnectAfterHandlerStarted(port, "/" + kind + "?probe=" + key,
                probe, key, "X-Request-Timeout: 1200");

        await().atMost(Duration.ofSeconds(10)).until(token::isCancelled);
        assertThat(token.reason().orElseThrow().kind()).isEqualTo(CancellationReason.Kind.TIMEOUT);
        await().atMost(Duration.ofSeconds(10)).until(() -> !requests.isInFlight(token));
    }

    @Test
    void aSynchronousHandlerIsNotToldOfADisconnectButItsDeadlineStillStopsIt() throws Exception {
        String key = "sync-gone";
        long start = System.nanoTime();
        CancellationToken token = WebClients.disconnectAfterHandlerStarted(port, "/sync?probe=" + key, probe, key,
                "X-Request-Timeout: 1500");

        // The socket is closed now; Tomcat gives a synchronous handler no signal, so only the deadline stops it.
        assertThat(probe.awaitEnd(key)).isEqualTo("TIMEOUT deadline");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1400));
        assertThat(token.reason().orElseThrow().kind()).isEqualTo(CancellationReason.Kind.TIMEOUT);
        await().atMost(Duration.ofSeconds(10)).until(() -> !requests.isInFlight(token));
    }
}
