package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.awaitTask;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationHttpClientAutoConfiguration;
import dev.cancellation.http.LoopbackServer;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.support.RestClientAdapter;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.invoker.HttpServiceProxyFactory;

/**
 * {@code @Cancellable} on the interface of an HTTP interface client ({@code @HttpExchange}, made by
 * {@link HttpServiceProxyFactory} on Boot's {@code RestClient.Builder}, so the http edge is in), against a real
 * HTTP server on loopback: the client's calls run as tasks named after the interface, the downstream gets the
 * method's budget in {@code X-Request-Timeout}, and a timeout or an operator's cancel aborts the call promptly.
 */
class CancellableHttpInterfaceTests {

    private static final long SLOW_MS = 30_000;

    @RegisterExtension
    final LoopbackServer server = LoopbackServer.perTest();

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(HttpClientAutoConfiguration.class,
                        ImperativeHttpClientAutoConfiguration.class, RestClientAutoConfiguration.class,
                        CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class,
                        CancellationHttpClientAutoConfiguration.class))
                .withPropertyValues("downstream.url=" + server.uri(""))
                .withUserConfiguration(ClientConfig.class);
    }

    interface SlowApi {

        @Cancellable(timeout = "800ms")
        @GetExchange("/slow")
        String slowWithTimeout(@RequestParam("ms") long ms);

        @Cancellable(name = "slow-api")
        @GetExchange("/slow")
        String slowUntilCancelled(@RequestParam("ms") long ms);

        @GetExchange("/fast")
        String fast();
    }

    @Configuration(proxyBeanMethods = false)
    static class ClientConfig {

        @Bean
        SlowApi slowApi(RestClient.Builder builder, @Value("${downstream.url}") String url) {
            RestClient client = builder.baseUrl(url).build();
            return HttpServiceProxyFactory.builderFor(RestClientAdapter.create(client)).build()
                    .createClient(SlowApi.class);
        }
    }

    @Test
    void theMethodsBudgetTravelsAndItsTimeoutAbortsTheCall() {
        runner().run(context -> {
            assertThat(context).hasNotFailed();
            SlowApi api = context.getBean(SlowApi.class);
            long started = System.nanoTime();
            CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> api.slowWithTimeout(SLOW_MS));

            long budget = Long.parseLong(server.nextRequest(PROMPTLY).header("X-Request-Timeout"));
            assertThat(budget).isPositive().isLessThanOrEqualTo(800);

            assertThatThrownBy(() -> call.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .cause().isInstanceOf(TaskTimeoutException.class)
                    .hasMessageContaining("SlowApi.slowWithTimeout");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PROMPTLY);
            assertThat(server.nextClose(PROMPTLY).path()).isEqualTo("/slow");
            assertThat(context.getBean(TaskRegistry.class).size()).isZero();
        });
    }

    @Test
    void anOperatorsCancelAbortsTheCall() {
        runner().run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            SlowApi api = context.getBean(SlowApi.class);
            CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> api.slowUntilCancelled(SLOW_MS));
            assertThat(server.nextRequest(PROMPTLY).header("X-Request-Timeout")).as("no deadline, no header")
                    .isNull();
            TaskInfo task = awaitTask(registry, "slow-api", TaskState.RUNNING);

            registry.cancel(task.id(), CancellationReason.requested("test", "operator"));

            assertThatThrownBy(() -> call.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .cause().isInstanceOf(TaskCancelledException.class);
            assertThat(server.nextClose(PROMPTLY).path()).isEqualTo("/slow");
        });
    }

    @Test
    void methodsWithoutTheAnnotationAreLeftAlone() {
        runner().run(context -> {
            assertThat(context.getBean(SlowApi.class).fast()).isEqualTo("ok");
            assertThat(server.nextRequest(PROMPTLY).headers()).doesNotContainKey("x-request-timeout");
            assertThat(context.getBean(TaskRegistry.class).size()).isZero();
        });
    }
}
