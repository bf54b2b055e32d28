package dev.cancellation.http;

import static dev.cancellation.http.HttpClientTestSupport.SLOW_MS;
import static dev.cancellation.http.HttpClientTestSupport.await;
import static dev.cancellation.http.HttpClientTestSupport.callOnOwnThread;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.http.HttpClientTestSupport.Outcome;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * {@code cancellation.http.client.deadline-header-hosts}: only the hosts listed get the budget header, over real
 * HTTP to the same loopback server under two names ({@code localhost} listed, {@code 127.0.0.1} not), and the
 * abort on cancel still applies to every host.
 */
class DeadlineHeaderHostsTests {

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    private URI viaLocalhost(String path) {
        return URI.create("http://localhost:" + server.port() + path);
    }

    private static ApplicationContextRunner onlyLocalhost() {
        return HttpClientTestSupport.runner()
                .withPropertyValues("cancellation.http.client.deadline-header-hosts=LOCALHOST,*.internal");
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdk", "http-components", "jetty", "reactor"})
    void restClientSendsTheBudgetOnlyToTheListedHosts(String factory) {
        onlyLocalhost().withPropertyValues("spring.http.clients.imperative.factory=" + factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                assertThat(await(callOnOwnThread(source.token(),
                        () -> client.get().uri(viaLocalhost("/fast")).retrieve().body(String.class))).result())
                        .isEqualTo("ok");
                assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).isNotNull();
                assertThat(await(callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/fast")).retrieve().body(String.class))).result())
                        .isEqualTo("ok");
                assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKey("x-request-timeout");
            }
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"http-components", "jetty"})
    void aHostWithoutTheHeaderIsStillAbortedOnCancel(String factory) {
        onlyLocalhost().withPropertyValues("spring.http.clients.imperative.factory=" + factory).run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                CompletableFuture<Outcome> call = callOnOwnThread(source.token(),
                        () -> client.get().uri(server.uri("/slow?ms=" + SLOW_MS)).retrieve().body(String.class));
                assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKey("x-request-timeout");
                source.cancel();
                assertThat(await(call).failure()).isInstanceOf(TaskCancelledException.class);
                assertThat(server.nextClose(PROMPTLY).path()).isEqualTo("/slow");
            }
        });
    }

    @Test
    void webClientSendsTheBudgetOnlyToTheListedHosts() {
        onlyLocalhost().run(context -> {
            WebClient client = context.getBean(WebClient.Builder.class).build();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
                for (URI uri : List.of(viaLocalhost("/fast"), server.uri("/fast"))) {
                    assertThat(client.get().uri(uri).retrieve().bodyToMono(String.class)
                            .contextWrite(c -> c.put(CancellationExchangeFilterFunction.TOKEN_KEY, source.token()))
                            .block(PROMPTLY)).isEqualTo("ok");
                }
                assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).isNotNull();
                assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKey("x-request-timeout");
            }
        });
    }

    @Test
    void theJdkWrapperSendsTheBudgetOnlyToTheListedHosts() throws Exception {
        java.net.http.HttpClient client = CancellableHttpClient.wrap(
                java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build(),
                new HttpClientCancellation("X-Request-Timeout", true, true, List.of("localhost")));
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(20))) {
            for (URI uri : List.of(viaLocalhost("/fast"), server.uri("/fast"))) {
                assertThat(await(callOnOwnThread(source.token(), () -> client.send(HttpRequest.newBuilder(uri).build(),
                        HttpResponse.BodyHandlers.ofString()).body())).result()).isEqualTo("ok");
            }
            assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).isNotNull();
            assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKey("x-request-timeout");
        }
    }

    @Test
    void patternsMatchHostsNotPorts() {
        HttpClientCancellation settings = new HttpClientCancellation("X-Request-Timeout", true, true,
                List.of("stock.internal", "*.example.com", "10.0.0.7", "[::1]"));
        DeadlineHeaderHosts hosts = DeadlineHeaderHosts.of(settings.deadlineHeaderHosts(), "hosts");
        assertThat(hosts.matches(URI.create("http://STOCK.internal:8080/x"))).isTrue();
        assertThat(hosts.matches(URI.create("https://a.b.example.com/x"))).isTrue();
        assertThat(hosts.matches(URI.create("https://example.com/x"))).isFalse();
        assertThat(hosts.matches(URI.create("https://notexample.com/x"))).isFalse();
        assertThat(hosts.matches(URI.create("http://10.0.0.7/x"))).isTrue();
        assertThat(hosts.matches(URI.create("http://[::1]:80/x"))).isTrue();
        assertThat(hosts.matches(URI.create("http://api.partner.com/x"))).isFalse();
        assertThat(DeadlineHeaderHosts.of(List.of("*"), "hosts").matches(URI.create("http://anything/"))).isTrue();
    }

    @Test
    void aBadPatternIsRefusedNamingTheProperty() {
        for (String bad : new String[] {"http://stock", "stock:8080", "*stock", "a.*.com", "", ".com", "*."}) {
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> new HttpClientCancellation("X-Request-Timeout", true, true, List.of("ok", bad)))
                    .withMessageContaining("cancellation.http.client.deadline-header-hosts[1]");
        }
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new HttpClientCancellation("X-Request-Timeout", true, true, List.of()))
                .withMessageContaining("cancellation.http.client.deadline-header-hosts")
                .withMessageContaining("propagate-deadline=false");
    }
}
