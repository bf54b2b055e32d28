package dev.cancellation.lifecycle;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.ShutdownReport;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The shutdown report of a Spring MVC application on Tomcat (loopback) closed with a registered request in flight
 * past its drain period: the drain cancels the request, and the report counts it and its {@code @Cancellable}
 * child among the tasks running and cancelled, whether they exited before the registry's own sweep or not. Before,
 * the same scenario reported "1 task(s) running, 0 cancelled" on one run and "0 task(s) running" on another.
 */
class ShutdownReportDrainTests {

    @Test
    void aRequestTheDrainCancelledIsCountedWithItsChild() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class).run("--server.port=0",
                "--server.address=127.0.0.1", "--server.shutdown=graceful", "--spring.main.banner-mode=off",
                "--cancellation.web.register-requests=true", "--cancellation.web.shutdown-drain=200ms",
                "--spring.lifecycle.timeout-per-shutdown-phase=20s");
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hang"))
                .timeout(PROMPTLY).build();
        CompletableFuture<HttpResponse<String>> response = HttpClient.newHttpClient()
                .sendAsync(request, HttpResponse.BodyHandlers.ofString());
        await().atMost(PROMPTLY).until(() -> registry.list("hang-work", null).size() == 1);

        context.close();

        assertThat(response.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS).statusCode()).isEqualTo(503);
        ShutdownReport report = lifecycle.getLastReport();
        assertThat(report).isNotNull();
        assertThat(report.runningAtStart()).as(report.describe()).isEqualTo(2);
        assertThat(report.cancelled()).as(report.describe()).extracting(TaskInfo::name)
                .containsExactlyInAnyOrder("GET /hang", "hang-work");
        assertThat(report.cancelled()).allSatisfy(task -> assertThat(task.reason().kind())
                .isEqualTo(CancellationReason.Kind.SHUTDOWN));
        assertThat(report.describe()).startsWith("Cancellation shutdown report: 2 task(s) running, 2 cancelled, ");
        assertThat(report.clean()).isTrue();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @Bean
        SecurityFilterChain open(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll()).build();
        }

        @Bean
        Work work() {
            return new Work();
        }

        @Bean
        Endpoints endpoints(Work work) {
            return new Endpoints(work);
        }
    }

    static class Work {

        @Cancellable(name = "hang-work")
        public String hang() throws Exception {
            CancellationToken token = CancellationToken.current();
            token.whenCancelled().toCompletableFuture().get(30, TimeUnit.SECONDS);
            token.throwIfCancelled();
            return "late";
        }
    }

    @RestController
    static class Endpoints {

        private final Work work;

        Endpoints(Work work) {
            this.work = work;
        }

        @GetMapping("/hang")
        String hang() throws Exception {
            return work.hang();
        }
    }
}
