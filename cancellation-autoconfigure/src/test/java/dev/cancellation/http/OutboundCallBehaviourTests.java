package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.SLOW_MS;
import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.http.HttpClientTestSupport.Outcome;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;

/** What every blocking client gets, shown once (with the factory Boot detects): refusal, settings, other clients. */
class OutboundCallBehaviourTests {

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    /** Proves that nothing reached the server before: the next request it sees is a marker sent now. */
    private void assertNothingWasSent(RestClient client) throws InterruptedException {
        client.get().uri(server.uri("/fast?marker")).retrieve().body(String.class);
        assertThat(server.nextRequest(PROMPTLY).path()).isEqualTo("/fast?marker");
    }

    @Test
    void aCallWhoseBudgetIsSpentFailsAtOnceWithoutSending() {
        HttpClientTestSupport.runner().run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource spent = CancellationSource.withTimeout(Duration.ZERO)) {
                assertThatThrownBy(() -> Cancellation.bind(spent.token(),
                        () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class)))
                        .isInstanceOf(TaskTimeoutException.class)
                        .hasMessageContaining("GET " + server.uri("/fast") + " not sent");
            }
            assertNothingWasSent(client);
        });
    }

    @Test
    void aCallWhoseTokenIsCancelledFailsAtOnceWithoutSending() {
        HttpClientTestSupport.runner().run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.create()) {
                source.cancel(CancellationReason.shutdown("test"));
                assertThatThrownBy(() -> Cancellation.bind(source.token(),
                        () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class)))
                        .isExactlyInstanceOf(TaskCancelledException.class)
                        .satisfies(ex -> assertThat(((TaskCancelledException) ex).reason().kind())
                                .isEqualTo(CancellationReason.Kind.SHUTDOWN));
            }
            assertNothingWasSent(client);
        });
    }

    @Test
    void restTemplateFromTheBuilderCarriesTheBudgetAndIsAborted() {
        HttpClientTestSupport.runner().run(context -> {
            RestTemplate template = context.getBean(RestTemplateBuilder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(),
                        () -> template.getForObject(server.uri("/slow?ms=" + SLOW_MS), String.class));
                assertThat(Long.parseLong(server.nextRequest(PROMPTLY).header("X-Request-Timeout")))
                        .isBetween(1L, 20_000L);
                source.cancel();
                Outcome outcome = await(call);
                assertThat(outcome.failure()).isInstanceOf(TaskCancelledException.class)
                        .hasCauseInstanceOf(IOException.class);
                server.nextClose(PROMPTLY);
            }
        });
    }

    interface StockApi {
        @GetExchange("/slow?ms=" + SLOW_MS)
        String slow();
    }

    @Test
    void httpInterfaceClientsOnRestClientCarryTheBudgetAndAreAborted() {
        HttpClientTestSupport.runner().run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).baseUrl(server.uri("").toString()).build();
            StockApi api = HttpServiceProxyFactory.builderFor(RestClientAdapter.create(client)).build()
                    .createClient(StockApi.class);
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(), api::slow);
                assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).isNotNull();
                source.cancel();
                assertThat(await(call).failure()).isInstanceOf(TaskCancelledException.class);
                server.nextClose(PROMPTLY);
            }
        });
    }

    @Test
    void theHeaderNameIsConfigurable() {
        HttpClientTestSupport.runner().withPropertyValues("cancellation.http.client.deadline-header=Grpc-Budget")
                .run(context -> {
                    RestClient client = context.getBean(RestClient.Builder.class).build();
                    try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                        Cancellation.bind(source.token(),
                                () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class));
                    }
                    LoopbackServer.Received received = server.nextRequest(PROMPTLY);
                    assertThat(received.header("Grpc-Budget")).isNotNull();
                    assertThat(received.header("X-Request-Timeout")).isNull();
                });
    }

    @Test
    void propagationCanBeTurnedOffWhileSpentBudgetsStillFailFast() {
        HttpClientTestSupport.runner().withPropertyValues("cancellation.http.client.propagate-deadline=false")
                .run(context -> {
                    RestClient client = context.getBean(RestClient.Builder.class).build();
                    try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                        Cancellation.bind(source.token(),
                                () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class));
                    }
                    assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKey("x-request-timeout");
                    try (CancellationSource spent = CancellationSource.withTimeout(Duration.ZERO)) {
                        assertThatThrownBy(() -> Cancellation.bind(spent.token(),
                                () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class)))
                                .isInstanceOf(TaskTimeoutException.class);
                    }
                });
    }

    @Test
    void withAbortOffACancelledCallRunsOnUntilTheServerAnswers() {
        HttpClientTestSupport.runner().withPropertyValues("cancellation.http.client.abort-on-cancel=false")
                .run(context -> {
                    RestClient client = context.getBean(RestClient.Builder.class).build();
                    try (CancellationSource source = CancellationSource.create()) {
                        CompletableFuture<Outcome> call = callOnOwnThread(source.token(),
                                () -> client.get().uri(server.uri("/slow?ms=1000")).retrieve().body(String.class));
                        server.nextRequest(PROMPTLY);
                        source.cancel();
                        Outcome outcome = await(call);
                        assertThat(outcome.failure()).isNull();
                        assertThat(outcome.result()).isEqualTo("late");
                    }
                });
    }

    @Test
    void aSmallerBudgetSetByTheCallerIsKeptALargerOneIsReplaced() {
        HttpClientTestSupport.runner().run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                Cancellation.bind(source.token(), () -> client.get().uri(server.uri("/fast"))
                        .header("X-Request-Timeout", "250").retrieve().body(String.class));
                Cancellation.bind(source.token(), () -> client.get().uri(server.uri("/fast"))
                        .header("X-Request-Timeout", "999999").retrieve().body(String.class));
            }
            assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).isEqualTo("250");
            assertThat(Long.parseLong(server.nextRequest(PROMPTLY).header("X-Request-Timeout")))
                    .isBetween(1L, 20_000L);
        });
    }
}
