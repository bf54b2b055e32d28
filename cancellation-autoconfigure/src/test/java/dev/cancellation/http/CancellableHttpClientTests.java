package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.SLOW_MS;
import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.http.HttpClientTestSupport.Outcome;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The documented wrapper of a plain JDK {@link HttpClient}, over real HTTP on loopback. */
class CancellableHttpClientTests {

    private LoopbackServer server;
    private HttpClient client;

    @BeforeEach
    void start() throws IOException {
        server = new LoopbackServer();
        client = CancellableHttpClient.wrap(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build());
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(server.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void sendCarriesTheBudgetAndLowersTheRequestTimeout() throws Exception {
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(800))) {
            CompletableFuture<Outcome> call = callOnOwnThread(source.token(), () -> get("/slow?ms=" + SLOW_MS));
            assertThat(Long.parseLong(server.nextRequest(PROMPTLY).header("X-Request-Timeout"))).isBetween(1L, 800L);
            Outcome outcome = await(call);
            // the token's deadline and the lowered request timeout race: either way a timeout, never a hang
            assertThat(outcome.failure()).satisfiesAnyOf(
                    failure -> assertThat(failure).isInstanceOf(TaskTimeoutException.class),
                    failure -> assertThat(failure).isInstanceOf(java.net.http.HttpTimeoutException.class));
            server.nextClose(PROMPTLY);
        }
    }

    @Test
    void cancelAbortsSendAndTheServerSeesTheConnectionClosed() throws Exception {
        try (CancellationSource source = CancellationSource.create()) {
            CompletableFuture<Outcome> call = callOnOwnThread(source.token(), () -> get("/slow?ms=" + SLOW_MS));
            assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).isNull();
            source.cancel();
            Outcome outcome = await(call);
            assertThat(outcome.failure()).isExactlyInstanceOf(TaskCancelledException.class).hasCauseInstanceOf(
                    java.util.concurrent.CancellationException.class);
            assertThat(outcome.interruptedAfter()).isFalse();
            server.nextClose(PROMPTLY);
        }
    }

    @Test
    void cancelAbortsSendAsync() throws Exception {
        try (CancellationSource source = CancellationSource.create()) {
            CompletableFuture<HttpResponse<String>> response;
            try (Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                response = client.sendAsync(HttpRequest.newBuilder(server.uri("/slow?ms=" + SLOW_MS)).build(),
                        HttpResponse.BodyHandlers.ofString());
            }
            server.nextRequest(PROMPTLY);
            source.cancel();
            // TaskCancelledException is a CancellationException: CompletableFuture.get throws it as it is (Java 17),
            // or, from Java 23 on, a new CancellationException caused by it
            assertThatThrownBy(() -> response.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(java.util.concurrent.CancellationException.class)
                    .satisfies(ex -> assertThat((ex instanceof TaskCancelledException) ? ex : ex.getCause())
                            .isExactlyInstanceOf(TaskCancelledException.class));
            server.nextClose(PROMPTLY);
        }
    }

    @Test
    void aSpentBudgetFailsWithoutSendingAndNoTokenChangesNothing() throws Exception {
        try (CancellationSource spent = CancellationSource.withTimeout(Duration.ZERO)) {
            assertThatThrownBy(() -> Cancellation.bind(spent.token(), () -> get("/fast")))
                    .isInstanceOf(TaskTimeoutException.class);
            CompletableFuture<HttpResponse<String>> async;
            try (Cancellation.Scope ignored = Cancellation.enter(spent.token())) {
                async = client.sendAsync(HttpRequest.newBuilder(server.uri("/fast")).build(),
                        HttpResponse.BodyHandlers.ofString());
            }
            assertThat(async).isCompletedExceptionally();
        }
        HttpResponse<String> response = get("/fast?marker");
        assertThat(response.body()).isEqualTo("ok");
        LoopbackServer.Received first = server.nextRequest(PROMPTLY);
        assertThat(first.path()).isEqualTo("/fast?marker");
        assertThat(first.headers()).doesNotContainKey("x-request-timeout");
    }
}
