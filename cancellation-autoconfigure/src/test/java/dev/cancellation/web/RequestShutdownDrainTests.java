package dev.cancellation.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import dev.cancellation.web.WebClients.Answer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Shutdown of a Spring MVC application on Tomcat with requests in flight: they get the drain period to finish on
 * their own, a request still running after it is cancelled with reason {@code SHUTDOWN} ({@code 503}), and a
 * background task is cancelled at once.
 */
class RequestShutdownDrainTests {

    @Test
    void requestsInFlightDrainWhileBackgroundTasksAreCancelledAtOnce() throws Exception {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(MvcTestApp.class).run(
                "--server.port=0", "--server.address=127.0.0.1", "--server.shutdown=graceful",
                "--cancellation.web.shutdown-drain=1500ms", "--spring.lifecycle.timeout-per-shutdown-phase=20s");
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        WebClients.Probe probe = context.getBean(WebClients.Probe.class);
        TaskRegistry registry = context.getBean(TaskRegistry.class);

        CompletableFuture<CancellationReason> background = new CompletableFuture<>();
        Thread worker = new Thread(() -> {
            try {
                registry.call(new TaskSpec("background", CancellationToken.none(), null, null, null, null), token -> {
                    background.complete(token.whenCancelled().toCompletableFuture().get(30, TimeUnit.SECONDS));
                    throw TaskCancelledException.of(token.reason().orElseThrow());
                });
            } catch (Throwable expected) {
                // cancelled at shutdown
            }
        });
        worker.start();
        CompletableFuture<Answer> quick = CompletableFuture.supplyAsync(
                () -> WebClients.get(port, "/api/reports/quick?ms=700"));
        CompletableFuture<Answer> slow = CompletableFuture.supplyAsync(
                () -> WebClients.get(port, "/api/reports/slow?ms=30000"));
        CancellationToken quickToken = probe.await("report-quick");
        CancellationToken slowToken = probe.await("report-slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.list("work", null).size() == 2);

        long closeStart = System.nanoTime();
        Thread closer = new Thread(context::close);
        closer.start();

        CancellationReason backgroundReason = background.get(10, TimeUnit.SECONDS);
        assertThat(backgroundReason.kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
        assertThat(quickToken.isCancelled()).as("the quick request is still draining").isFalse();

        Answer quickAnswer = quick.get(10, TimeUnit.SECONDS);
        assertThat(quickAnswer.status()).isEqualTo(200);
        assertThat(quickAnswer.body()).isEqualTo("done");

        Answer slowAnswer = slow.get(15, TimeUnit.SECONDS);
        Duration slowAfterClose = Duration.ofNanos(System.nanoTime() - closeStart);
        assertThat(slowAnswer.status()).isEqualTo(503);
        assertThat((String) slowAnswer.json("$.reason.kind")).isEqualTo("SHUTDOWN");
        assertThat(slowToken.reason().orElseThrow().kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
        assertThat(slowAfterClose).isGreaterThanOrEqualTo(Duration.ofMillis(1400));

        closer.join(20_000);
        worker.join(5_000);
        assertThat(closer.isAlive()).isFalse();
    }
}
