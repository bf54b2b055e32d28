package dev.cancellation.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.micrometer.CancellationMeters;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.web.WebClients.Answer;
import java.time.Duration;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

            // As a cancel through another instance of the fleet reads: the operator and both instances named.
            registry.cancel(request.id(), CancellationReason.requested(
                    "cancelled by alice through the actuator of node-b", "actuator (alice) via node-b"));

            Answer cancelled = answer.get(10, TimeUnit.SECONDS);
            assertThat(cancelled.status()).isEqualTo(409);
            assertThat((String) cancelled.json("$.title")).isEqualTo("Task cancelled");
            assertThat((String) cancelled.json("$.detail")).isEqualTo("GET /api/reports/{id}: REQUESTED");
            assertThat((String) cancelled.json("$.reason.kind")).isEqualTo("REQUESTED");
            assertThat(cancelled.body()).doesNotContain("alice", "node-b", "actuator", "origin");
            // the full story stays in the registry
            assertThat(registry.findIncludingHistory(request.id()).orElseThrow().reason().origin())
                    .isEqualTo("actuator (alice) via node-b");
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.list("GET /api/reports/{id}", null).isEmpty());
        }

        /**
         * A client chooses the method: 300 custom ones on a route make one task name, as on a route that does not
         * exist, and so one value of the meters' {@code task} tag (the requests time out: each is counted).
         */
        @Test
        void customMethodsAndUnmatchedRoutesMakeOneTaskNameAndOneTagValueEach() throws Exception {
            Set<String> names = ConcurrentHashMap.newKeySet();
            TaskListener listener = new TaskListener() {
                @Override
                public void onStarted(TaskInfo task) {
                    names.add(task.name());
                }
            };
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            registry.addListener(listener);
            CancellationMeters bound = CancellationMeters.bind(registry, meters);
            ExecutorService clients = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> answers = new ArrayList<>();
                for (int i = 1; i <= 300; i++) {
                    String method = "X" + i;
                    answers.add(clients.submit(() -> WebClients.rawStatus(port, method, "/any?ms=30000",
                            "X-Request-Timeout: 50")));
                    answers.add(clients.submit(() -> WebClients.rawStatus(port, method, "/nowhere/" + method)));
                }
                for (Future<Integer> each : answers) {
                    assertThat(each.get(30, TimeUnit.SECONDS)).isBetween(200, 599);
                }
            } finally {
                clients.shutdownNow();
                registry.removeListener(listener);
            }
            try {
                names.remove("work"); // the handler's own @Cancellable call
                assertThat(names).allSatisfy(name -> assertThat(name).doesNotContainPattern("X\\d")
                        .doesNotContain("nowhere"));
                // the route's name, and one name for whatever the unmatched paths reached (UNKNOWN, or "/**" of a
                // resource handler)
                assertThat(names).contains("UNKNOWN /any").hasSizeLessThanOrEqualTo(2);
                await().atMost(Duration.ofSeconds(10)).until(() -> meters.find(CancellationMeters.CANCELLED)
                        .tag("task", "UNKNOWN /any").counters().stream().mapToDouble(Counter::count).sum() >= 300);
                assertThat(meters.find(CancellationMeters.CANCELLED).counters())
                        .extracting(counter -> counter.getId().getTag("task"))
                        .allSatisfy(tag -> assertThat(tag).isIn("UNKNOWN /any", "work"));
            } finally {
                bound.close();
            }
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
