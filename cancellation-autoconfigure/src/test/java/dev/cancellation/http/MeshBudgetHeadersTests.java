package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.cancellation.BudgetFormat;
import dev.cancellation.CancellationSource;
import dev.cancellation.http.LoopbackServer.Received;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * {@code cancellation.http.client.additional-deadline-headers}: the budget also leaves in a mesh's headers, each in
 * its format and with the same value as {@code X-Request-Timeout}, on every client, over real HTTP on loopback.
 */
class MeshBudgetHeadersTests {

    private static final String ENVOY = "x-envoy-upstream-rq-timeout-ms";

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    private static ApplicationContextRunner withMeshHeaders() {
        return HttpClientTestSupport.runner().withPropertyValues(
                "cancellation.http.client.additional-deadline-headers." + ENVOY + "=milliseconds",
                "cancellation.http.client.additional-deadline-headers.grpc-timeout=grpc-timeout");
    }

    private static void assertSameBudgetInEveryHeader(Received received) {
        long millis = Long.parseLong(received.header("X-Request-Timeout"));
        assertThat(millis).isBetween(1L, 20_000L);
        assertThat(received.header(ENVOY)).isEqualTo(Long.toString(millis));
        assertThat(received.header("grpc-timeout")).isEqualTo(millis + "m");
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void aRestClientCallSendsTheBudgetInEveryHeader(String factory) {
        withMeshHeaders().withPropertyValues("spring.http.clients.imperative.factory=" + factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                assertThat(await(callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class))).result())
                        .isEqualTo("ok");
                assertSameBudgetInEveryHeader(server.nextRequest(PROMPTLY));
            }
        });
    }

    @Test
    void aWebClientCallSendsTheBudgetInEveryHeader() {
        withMeshHeaders().run(context -> {
            WebClient client = context.getBean(WebClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                assertThat(client.get().uri(server.uri("/fast")).retrieve().bodyToMono(String.class)
                        .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, source.token()))
                        .block(PROMPTLY)).isEqualTo("ok");
                assertSameBudgetInEveryHeader(server.nextRequest(PROMPTLY));
            }
        });
    }

    @Test
    void theJdkWrapperSendsTheBudgetInEveryHeaderReplacingTheCallersOwn() throws Exception {
        HttpClient client = CancellableHttpClient.wrap(
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(),
                new HttpClientCancellation("X-Request-Timeout", true, true, List.of("*"),
                        Map.of(ENVOY, BudgetFormat.MILLISECONDS, "grpc-timeout", BudgetFormat.GRPC_TIMEOUT)));
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
            HttpRequest request = HttpRequest.newBuilder(server.uri("/fast")).header(ENVOY, "999999").build();
            assertThat(await(callOnOwnThread(source.token(),
                    () -> client.send(request, HttpResponse.BodyHandlers.ofString()).body())).result())
                    .isEqualTo("ok");
            assertSameBudgetInEveryHeader(server.nextRequest(PROMPTLY));
        }
    }

    @Test
    void aCallWithoutADeadlineSendsNoneOfThem() {
        withMeshHeaders().run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.create()) {
                await(callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class)));
                assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKeys(ENVOY, "grpc-timeout");
            }
        });
    }

    @Test
    void anInvalidHeaderNameFailsTheStartupNamingTheProperty() {
        assertThatIllegalArgumentException().isThrownBy(() -> new HttpClientCancellation("X-Request-Timeout", true,
                true, List.of("*"), Map.of("bad header", BudgetFormat.MILLISECONDS)))
                .withMessageContaining("cancellation.http.client.additional-deadline-headers");
    }
}
