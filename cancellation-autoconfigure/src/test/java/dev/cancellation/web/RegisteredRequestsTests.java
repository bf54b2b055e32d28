package dev.cancellation.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.web.WebClients.Answer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * {@code cancellation.web.register-requests}: requests in flight are tasks named after their matched route, the
 * parents of their {@code @Cancellable} calls, and an operator can cancel a stuck one (answered {@code 409}).
 */
class RegisteredRequestsTests {

    abstract static class Scenario {

        @LocalServerPort
        int port;

        @Autowired
        TaskRegistry registry;

        @Test
        void aRequestInFlightIsATaskNamedAfterItsRouteAndAnOperatorCanCancelIt() throws Exception {
            CompletableFuture<Answer> answer = CompletableFuture.supplyAsync(
                    () -> WebClients.get(port, "/api/reports/42?ms=30000"));

            TaskInfo request = await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.list("GET /api/reports/{id}", null), tasks -> tasks.size() == 1).get(0);
            List<TaskInfo> work = await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.list("work", null), tasks -> tasks.size() == 1);
            assertThat(work.get(0).parentId()).isEqualTo(request.id());
            assertThat(registry.list()).extracting(TaskInfo::name).noneMatch(name -> name.contains("/42"));

            registry.cancel(request.id(), CancellationReason.requested("stuck report", "operator alice"));

            Answer cancelled = answer.get(10, TimeUnit.SECONDS);
            assertThat(cancelled.status()).isEqualTo(409);
            assertThat((String) cancelled.json("$.reason.origin")).isEqualTo("operator alice");
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.list("GET /api/reports/{id}", null).isEmpty());
        }
    }

    @Nested
    @SpringBootTest(classes = MvcTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {"server.address=127.0.0.1", "cancellation.web.register-requests=true", "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s"})
    class SpringMvc extends Scenario {
    }

    @Nested
    @SpringBootTest(classes = FluxTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {"spring.main.web-application-type=reactive", "server.address=127.0.0.1",
                "cancellation.web.register-requests=true", "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s"})
    class WebFlux extends Scenario {
    }
}
