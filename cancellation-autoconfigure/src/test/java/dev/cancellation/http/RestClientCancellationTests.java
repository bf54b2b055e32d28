package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.SLOW_MS;
import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.http.HttpClientTestSupport.Outcome;
import dev.cancellation.http.LoopbackServer.Received;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.http.client.ClientHttpRequestFactoryBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * {@code RestClient} from Boot's auto-configured builder, over real HTTP on loopback, for every request factory
 * that Boot's {@link ClientHttpRequestFactoryBuilder} can pick: the budget travels in the header, a cancel aborts
 * the exchange (the downstream sees the connection closed) and the caller gets the cancellation, not a
 * {@link ResourceAccessException}.
 */
class RestClientCancellationTests {

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    private static ApplicationContextRunner runner(String factory) {
        return HttpClientTestSupport.runner().withPropertyValues("spring.http.clients.imperative.factory=" + factory);
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void cancelWhileWaitingForTheResponseAbortsTheExchange(String factory) {
        runner(factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.create()) {
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve().body(String.class));
                Received received = server.nextRequest(PROMPTLY);
                assertThat(received.header("X-Request-Timeout")).as("no deadline, no header").isNull();

                source.cancel(CancellationReason.requested("test", "operator"));

                Outcome outcome = await(call);
                assertThat(outcome.failure())
                        .isExactlyInstanceOf(TaskCancelledException.class)
                        .hasMessageContaining("GET " + server.uri("/slow"))
                        .hasCauseInstanceOf(IOException.class);
                assertThat(((TaskCancelledException) outcome.failure()).reason().origin()).isEqualTo("operator");
                assertThat(context.getBean(ClientHttpRequestFactoryBuilder.class).build().getClass().getSimpleName())
                        .startsWithIgnoringCase(factory.replace("-", ""));
                assertThat(outcome.interruptedAfter()).as("no interrupt left on the caller").isFalse();
                assertThat(server.nextClose(PROMPTLY).path()).isEqualTo("/slow");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void cancelWhileReadingTheBodyAbortsTheExchange(String factory) {
        runner(factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.create()) {
                CountDownLatch headersIn = new CountDownLatch(1);
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/slow-body?ms=" + SLOW_MS)).exchange((request, response) -> {
                            headersIn.countDown();
                            return new String(response.getBody().readAllBytes());
                        }));
                // the caller has the headers and reads the body, of which the server sent only the first half
                assertThat(headersIn.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                source.cancel();

                Outcome outcome = await(call);
                assertThat(outcome.failure()).isInstanceOf(TaskCancelledException.class)
                        .isNotInstanceOf(ResourceAccessException.class);
                assertThat(outcome.interruptedAfter()).isFalse();
                assertThat(server.nextClose(PROMPTLY).path()).isEqualTo("/slow-body");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void theDeadlineTravelsAndAbortsTheCallWithATimeout(String factory) {
        runner(factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(1500))) {
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve().body(String.class));
                long budget = Long.parseLong(server.nextRequest(PROMPTLY).header("X-Request-Timeout"));
                assertThat(budget).isPositive().isLessThanOrEqualTo(1500);

                Outcome outcome = await(call);
                assertThat(outcome.failure()).isInstanceOf(TaskTimeoutException.class);
                assertThat(server.nextClose(PROMPTLY).path()).isEqualTo("/slow");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void callsWithoutATokenAreLeftAlone(String factory) {
        runner(factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            String body = client.get().uri(server.uri("/fast")).retrieve().body(String.class);
            assertThat(body).isEqualTo("ok");
            assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKey("x-request-timeout");
        });
    }

    record Price(String sku, long priceCents) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void aDeadlineAbortsABodyThatTricklesIn(String factory) {
        runner(factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            // started and warm: the budget below is for the exchange, not for starting the client library
            client.get().uri(server.uri("/fast")).retrieve().body(String.class);
            server.nextRequest(PROMPTLY);
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(1000))) {
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/trickle?ms=" + SLOW_MS)).retrieve().body(Price.class));
                assertThat(server.nextRequest(PROMPTLY).path()).startsWith("/trickle");
                Outcome outcome = await(call);
                assertThat(outcome.failure()).isInstanceOf(TaskTimeoutException.class);
                assertThat(server.nextClose(PROMPTLY).path()).isEqualTo("/trickle");
            }
        });
    }
}
