package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationSource;
import dev.cancellation.http.HttpClientTestSupport.Outcome;
import dev.cancellation.http.LoopbackServer.Received;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.http.client.HttpComponentsClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.JettyClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The budget header is computed when the request leaves, not when the call starts: with a pool of one connection
 * that a first call holds for about a second, a second call made under a 10 s token waits for the connection, and
 * the downstream is told the budget less that wait (within {@link #TOLERANCE_MS}), on every client that lets the
 * library set the header that late (Apache HttpClient 5, Jetty, Reactor Netty's {@code WebClient}).
 */
class BudgetLeavesWithTheRequestTests {

    private static final long BUDGET_MS = 10_000;
    /** How long the first call holds the only connection: the downstream answers it after this. */
    private static final long HOLD_MS = 1_500;
    /** Time between the header being computed and the downstream reading it, generously. */
    private static final long TOLERANCE_MS = 150;

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    @ParameterizedTest
    @ValueSource(strings = {"http-components", "jetty"})
    void aRestClientCallThatWaitsForThePoolSendsTheBudgetLessTheWait(String factory) {
        HttpClientTestSupport.runner().withPropertyValues("spring.http.clients.imperative.factory=" + factory)
                .withBean("poolOfOneHttpComponents", ClientHttpRequestFactoryBuilderCustomizer.class,
                        () -> (ClientHttpRequestFactoryBuilderCustomizer<HttpComponentsClientHttpRequestFactoryBuilder>)
                                builder -> builder.withConnectionManagerCustomizer(pool ->
                                        pool.setMaxConnTotal(1).setMaxConnPerRoute(1)))
                .withBean("poolOfOneJetty", ClientHttpRequestFactoryBuilderCustomizer.class,
                        () -> (ClientHttpRequestFactoryBuilderCustomizer<JettyClientHttpRequestFactoryBuilder>)
                                builder -> builder.withHttpClientCustomizer(client ->
                                        client.setMaxConnectionsPerDestination(1)))
                .run(context -> {
                    RestClient client = context.getBean(RestClient.Builder.class).build();
                    try (CancellationSource holder = CancellationSource.create()) {
                        CompletableFuture<Outcome> first = callOnOwnThread(holder.token(), () -> client.get()
                                .uri(server.uri("/slow?ms=" + HOLD_MS)).retrieve().body(String.class));
                        assertThat(server.nextRequest(PROMPTLY).path()).startsWith("/slow");

                        // the budget starts now, when the only connection is taken: all of the wait is in it
                        try (CancellationSource source = CancellationSource.withTimeout(
                                Duration.ofMillis(BUDGET_MS))) {
                            long start = System.nanoTime();
                            CompletableFuture<Outcome> second = callOnOwnThread(source.token(), () -> client.get()
                                    .uri(server.uri("/fast")).retrieve().body(String.class));
                            Received received = server.nextRequest(PROMPTLY);

                            assertThat(await(first).result()).isEqualTo("late");
                            assertThat(await(second).result()).isEqualTo("ok");
                            assertBudgetLessTheWait(received, start);
                        }
                    }
                });
    }

    @Test
    void aWebClientCallOnReactorNettyThatWaitsForThePoolSendsTheBudgetLessTheWait() {
        ConnectionProvider poolOfOne = ConnectionProvider.builder("pool-of-one").maxConnections(1).build();
        try {
            HttpClientTestSupport.runner().run(context -> {
                WebClient client = context.getBean(WebClient.Builder.class)
                        .clientConnector(new ReactorClientHttpConnector(
                                reactor.netty.http.client.HttpClient.create(poolOfOne)))
                        .build();
                CompletableFuture<String> first = client.get().uri(server.uri("/slow?ms=" + HOLD_MS)).retrieve()
                        .bodyToMono(String.class).toFuture();
                assertThat(server.nextRequest(PROMPTLY).path()).startsWith("/slow");
                // the budget starts now, when the only connection is taken: all of the wait is in it
                try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(BUDGET_MS))) {
                    long start = System.nanoTime();
                    CompletableFuture<String> second = client.get().uri(server.uri("/fast")).retrieve()
                            .bodyToMono(String.class)
                            .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, source.token()))
                            .toFuture();
                    Received received = server.nextRequest(PROMPTLY);

                    assertThat(first.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("late");
                    assertThat(second.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("ok");
                    assertBudgetLessTheWait(received, start);
                }
            });
        } finally {
            poolOfOne.disposeLater().block(PROMPTLY);
        }
    }

    /** The second call waited for the first one's connection, and its header tells what was left after that. */
    private static void assertBudgetLessTheWait(Received received, long start) {
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(received.atNanos() - start);
        assertThat(waitedMs).as("the second call waited for the only connection").isGreaterThan(HOLD_MS / 4);
        long sent = Long.parseLong(received.header("X-Request-Timeout"));
        assertThat(sent).as("budget sent after waiting %d ms for the connection", waitedMs)
                .isPositive()
                .isLessThanOrEqualTo(BUDGET_MS - waitedMs + TOLERANCE_MS);
    }
}
