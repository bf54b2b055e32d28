package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.SLOW_MS;
import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.http.HttpClientTestSupport.Outcome;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A timeout the application set that is shorter than the budget stays in force, on every client: the budget only
 * ever lowers a client's timeout. Each call runs under a 60 s token against a downstream that answers after 30 s,
 * with a 300 ms timeout of the application's own, and must end by that timeout (as an I/O error, not the token's
 * cancellation), long before the budget.
 */
class ShorterTimeoutWinsTests {

    private static final Duration APP_TIMEOUT = Duration.ofMillis(300);
    private static final Duration BUDGET = Duration.ofSeconds(60);
    /** Far below the budget and the server's answer: the application's timeout ended the call. */
    private static final Duration WELL_BEFORE_THE_BUDGET = Duration.ofSeconds(10);

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void restClientKeepsTheApplicationsShorterReadTimeout(String factory) {
        HttpClientTestSupport.runner().withPropertyValues("spring.http.clients.imperative.factory=" + factory,
                "spring.http.clients.read-timeout=" + APP_TIMEOUT.toMillis() + "ms").run(context -> {
                    RestClient client = context.getBean(RestClient.Builder.class).build();
                    try (CancellationSource source = CancellationSource.withTimeout(BUDGET)) {
                        long start = System.nanoTime();
                        CompletableFuture<Outcome> call = callOnOwnThread(source.token(), () -> client.get()
                                .uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve().body(String.class));
                        Outcome outcome = await(call);
                        Duration took = Duration.ofNanos(System.nanoTime() - start);
                        assertThat(outcome.failure()).as("the application's timeout, not a cancellation")
                                .isInstanceOf(ResourceAccessException.class)
                                .isNotInstanceOf(TaskCancelledException.class);
                        assertThat(took).isLessThan(WELL_BEFORE_THE_BUDGET);
                        assertThat(source.token().isCancelled()).isFalse();
                    }
                });
    }

    @Test
    void webClientOnReactorNettyKeepsTheConnectorsShorterResponseTimeout() {
        HttpClientTestSupport.runner().run(context -> {
            WebClient client = context.getBean(WebClient.Builder.class)
                    .clientConnector(new ReactorClientHttpConnector(
                            reactor.netty.http.client.HttpClient.create().responseTimeout(APP_TIMEOUT)))
                    .build();
            try (CancellationSource source = CancellationSource.withTimeout(BUDGET)) {
                Mono<String> body = client.get().uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve()
                        .bodyToMono(String.class)
                        .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, source.token()));
                long start = System.nanoTime();
                StepVerifier.create(body)
                        .expectErrorSatisfies(error -> assertThat(error).hasRootCauseInstanceOf(
                                io.netty.handler.timeout.ReadTimeoutException.class))
                        .verify(PROMPTLY);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WELL_BEFORE_THE_BUDGET);
                assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).as("the budget still travels")
                        .isNotNull();
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"reactor", "jdk"})
    void webClientKeepsTheApplicationsShorterReadTimeout(String connector) {
        HttpClientTestSupport.runner().withPropertyValues("spring.http.clients.reactive.connector=" + connector,
                "spring.http.clients.read-timeout=" + APP_TIMEOUT.toMillis() + "ms").run(context -> {
                    WebClient client = context.getBean(WebClient.Builder.class).build();
                    try (CancellationSource source = CancellationSource.withTimeout(BUDGET)) {
                        Mono<String> body = client.get().uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve()
                                .bodyToMono(String.class)
                                .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, source.token()));
                        long start = System.nanoTime();
                        StepVerifier.create(body)
                                .expectErrorSatisfies(error -> assertThat(error)
                                        .isNotInstanceOf(TaskCancelledException.class))
                                .verify(PROMPTLY);
                        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WELL_BEFORE_THE_BUDGET);
                    }
                });
    }

    @Test
    void theJdkWrapperKeepsTheRequestsShorterTimeout() throws Exception {
        java.net.http.HttpClient client = CancellableHttpClient.wrap(
                java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build());
        try (CancellationSource source = CancellationSource.withTimeout(BUDGET)) {
            long start = System.nanoTime();
            CompletableFuture<Outcome> call = callOnOwnThread(source.token(), () -> client.send(
                    HttpRequest.newBuilder(server.uri("/slow?ms=" + SLOW_MS)).timeout(APP_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()));
            Outcome outcome = await(call);
            assertThat(outcome.failure()).isInstanceOf(HttpTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WELL_BEFORE_THE_BUDGET);
        }
    }
}
