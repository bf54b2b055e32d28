package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.SLOW_MS;
import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.http.HttpClientTestSupport.Outcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** {@code WebClient} from Boot's auto-configured builder, over real HTTP, on Reactor Netty and the JDK connector. */
class WebClientCancellationTests {

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    private static ApplicationContextRunner runner(String connector) {
        return HttpClientTestSupport.runner().withPropertyValues("spring.http.clients.reactive.connector=" + connector);
    }

    @ParameterizedTest
    @ValueSource(strings = {"reactor", "jdk"})
    void aBlockingCallerCarriesTheBudgetAndIsAborted(String connector) {
        runner(connector).run(context -> {
            WebClient client = context.getBean(WebClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(), () -> client.get()
                        .uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve().bodyToMono(String.class).block());
                assertThat(Long.parseLong(server.nextRequest(PROMPTLY).header("X-Request-Timeout")))
                        .isBetween(1L, 20_000L);
                source.cancel();
                assertThat(await(call).failure()).isInstanceOf(TaskCancelledException.class)
                        .hasMessageContaining("GET " + server.uri("/slow"));
                server.nextClose(PROMPTLY);
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"reactor", "jdk"})
    void theTokenInTheReactorContextCancelsTheBody(String connector) {
        runner(connector).run(context -> {
            WebClient client = context.getBean(WebClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.create()) {
                CountDownLatch headersIn = new CountDownLatch(1);
                Mono<String> body = client.get().uri(server.uri("/slow-body?ms=" + SLOW_MS))
                        .exchangeToMono(response -> {
                            headersIn.countDown();
                            return response.bodyToMono(String.class);
                        })
                        .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, source.token()));
                StepVerifier.create(body)
                        .then(() -> {
                            try {
                                // the caller has the headers and reads the body, which the server trickles
                                assertThat(headersIn.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                            } catch (InterruptedException ex) {
                                throw new AssertionError(ex);
                            }
                            source.cancel();
                        })
                        // the cancellation itself, or a WebClientResponseException whose cause it is
                        .expectErrorSatisfies(error -> assertThat((error instanceof WebClientResponseException)
                                ? error.getCause() : error).isInstanceOf(TaskCancelledException.class))
                        .verify(PROMPTLY);
                if (connector.equals("reactor")) {
                    server.nextClose(PROMPTLY); // the JDK connector ends the call but may keep the connection open
                }
            }
        });
    }

    @Test
    void aSpentBudgetFailsWithoutSendingAndNoTokenChangesNothing() {
        runner("reactor").run(context -> {
            WebClient client = context.getBean(WebClient.Builder.class).build();
            try (CancellationSource spent = CancellationSource.withTimeout(Duration.ZERO)) {
                Mono<String> body = client.get().uri(server.uri("/fast")).retrieve().bodyToMono(String.class)
                        .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, spent.token()));
                StepVerifier.create(body).expectError(TaskTimeoutException.class).verify(PROMPTLY);
            }
            assertThat(client.get().uri(server.uri("/fast?marker")).retrieve().bodyToMono(String.class).block(PROMPTLY))
                    .isEqualTo("ok");
            LoopbackServer.Received first = server.nextRequest(PROMPTLY);
            assertThat(first.path()).as("nothing was sent before").isEqualTo("/fast?marker");
            assertThat(first.headers()).doesNotContainKey("x-request-timeout");
        });
    }

    @Test
    void onReactorNettyTheResponseTimeoutIsLoweredToTheBudget() {
        // with abort off, only the lowered response timeout can end this call before the server answers (30 s)
        runner("reactor").withPropertyValues("cancellation.http.client.abort-on-cancel=false").run(context -> {
            WebClient client = context.getBean(WebClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(1500))) {
                Mono<String> body = client.get().uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve()
                        .bodyToMono(String.class)
                        .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, source.token()));
                StepVerifier.create(body)
                        .expectErrorSatisfies(error -> assertThat(error).hasRootCauseInstanceOf(
                                io.netty.handler.timeout.ReadTimeoutException.class))
                        .verify(PROMPTLY);
            }
        });
    }
}
