package dev.cancellation.actuate;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.config.Customizer.withDefaults;

import dev.cancellation.task.TaskState;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Every operation of the endpoint over real HTTP, with writes enabled
 * ({@code management.endpoint.cancellation.access=unrestricted}); also its JMX exposure and the meters in
 * {@code /actuator/metrics}.
 */
@SpringBootTest(classes = CancellationEndpointWebIntegrationTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "management.endpoints.web.exposure.include=cancellation,metrics",
                "management.endpoint.cancellation.access=unrestricted", "spring.jmx.enabled=true",
                "management.endpoints.jmx.exposure.include=cancellation" })
class CancellationEndpointWebIntegrationTests extends LiveEndpointTests {

    @Test
    void listsTasksWithSummaryAndHistory() {
        RunningTasks.Running report = tasks.start(RunningTasks.spec("ReportService.render", Duration.ofMinutes(5)));
        RunningTasks.Running child = tasks.startChild(report, "ReportService.fetchRows");
        RunningTasks.Running export = tasks.start("ExportJob.run");
        registry.cancel(export.id(), dev.cancellation.CancellationReason.requested("test"));
        export.assertCancelled();
        await().atMost(PROMPTLY).until(() -> registry.find(export.id()).isEmpty());

        Http.Response response = http.get("/actuator/cancellation").capture("list");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.contentType()).startsWith("application/vnd.spring-boot.actuator.v3+json");
        assertThat(response.<List<String>>json("$.tasks[*].id")).contains(report.id(), child.id())
                .doesNotContain(export.id());
        List<Map<String, Object>> matching = response.json("$.tasks[?(@.id == '" + child.id() + "')]");
        assertThat(matching).singleElement().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("name", "ReportService.fetchRows").containsEntry("state", "RUNNING")
                .containsEntry("parentId", report.id()).containsEntry("thread", "task-ReportService.fetchRows")
                .containsKeys("startedAt", "deadline", "elapsed")
                .doesNotContainKeys("reason", "finishedAt", "children"); // nulls are left out, as in every endpoint
        assertThat(response.<List<String>>json("$.tasks[?(@.id == '" + report.id() + "')].deadline"))
                .singleElement().asString().contains("T");
        assertThat(response.<Boolean>json("$.writable")).isTrue();
        assertThat(response.<Integer>json("$.summary.byName['ReportService.render']")).isEqualTo(1);
        assertThat(response.<Integer>json("$.summary.byState.RUNNING")).isGreaterThanOrEqualTo(2);
        assertThat(response.<List<String>>json("$.history[*].id")).contains(export.id());
        assertThat(response.<List<String>>json("$.history[?(@.id == '" + export.id() + "')].reason.kind"))
                .containsExactly("REQUESTED");
    }

    @Test
    void filtersByNameAndState() {
        tasks.start("Filter.a");
        tasks.start("Filter.b");
        RunningTasks.Running stubborn = tasks.startStubborn("Filter.a");
        registry.cancel(stubborn.id(), dev.cancellation.CancellationReason.requested("test"));

        Http.Response byName = http.get("/actuator/cancellation?name=Filter.a");
        Http.Response byBoth = http.get("/actuator/cancellation?name=Filter.a&state=cancelling")
                .capture("list-filtered");

        assertThat(byName.<List<String>>json("$.tasks[*].name")).containsOnly("Filter.a").hasSize(2);
        assertThat(byName.<Integer>json("$.summary.total")).isEqualTo(2);
        assertThat(byBoth.<List<String>>json("$.tasks[*].id")).containsExactly(stubborn.id());
        assertThat(byBoth.<Map<String, Integer>>json("$.summary.byState")).containsOnlyKeys("CANCELLING");
    }

    @Test
    void unknownStateIsABadRequest() {
        Http.Response response = http.get("/actuator/cancellation?state=sleeping").capture("list-bad-state");

        assertThat(response.status()).isEqualTo(400);
    }

    @Test
    void showsOneTaskWithChildren() {
        RunningTasks.Running root = tasks.start("Tree.root");
        RunningTasks.Running child = tasks.startChild(root, "Tree.child");
        RunningTasks.Running grandChild = tasks.startChild(child, "Tree.grandchild");

        Http.Response response = http.get("/actuator/cancellation/" + root.id()).capture("task");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<String>json("$.id")).isEqualTo(root.id());
        assertThat(response.<String>json("$.children[0].id")).isEqualTo(child.id());
        assertThat(response.<String>json("$.children[0].children[0].id")).isEqualTo(grandChild.id());
        assertThat(response.<List<?>>json("$.children[0].children[0].children")).isEmpty();
    }

    @Test
    void unknownTaskIsNotFound() {
        assertThat(http.get("/actuator/cancellation/0123456789abcdef01234567").status()).isEqualTo(404);
        assertThat(http.delete("/actuator/cancellation/0123456789abcdef01234567").status()).isEqualTo(404);
    }

    @Test
    void finishedTaskIsFoundInTheHistory() {
        RunningTasks.Running task = tasks.start("History.task");
        task.fail(new IllegalStateException("boom"));
        task.awaitExit();

        Http.Response response = http.get("/actuator/cancellation/" + task.id());

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<String>json("$.state")).isEqualTo("FAILED");
        assertThat(response.<String>json("$.finishedAt")).isNotNull();
    }

    @Test
    void deleteCancelsWithTheOperatorAsOrigin() {
        RunningTasks.Running task = tasks.start("Delete.alice");

        Http.Response response = http.as("alice", "secret").delete("/actuator/cancellation/" + task.id())
                .capture("delete");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<String>json("$.id")).isEqualTo(task.id());
        assertThat(response.<String>json("$.state")).isIn("CANCELLING", "CANCELLED");
        assertThat(response.<String>json("$.reason.kind")).isEqualTo("REQUESTED");
        assertThat(response.<String>json("$.reason.origin")).isEqualTo("operator:alice");
        task.assertCancelled();
    }

    @Test
    void deleteWithoutPrincipalNamesTheActuator() {
        RunningTasks.Running task = tasks.start("Delete.anonymous");

        Http.Response response = http.delete("/actuator/cancellation/" + task.id());

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<String>json("$.reason.origin")).isEqualTo("actuator");
        task.assertCancelled();
    }

    @Test
    void deleteIsIdempotent() {
        RunningTasks.Running task = tasks.start("Delete.twice");
        http.as("alice", "secret").delete("/actuator/cancellation/" + task.id());
        task.assertCancelled();
        await().atMost(PROMPTLY).until(() -> registry.find(task.id()).isEmpty());

        Http.Response again = http.as("bob", "secret").delete("/actuator/cancellation/" + task.id())
                .capture("delete-again");

        assertThat(again.status()).isEqualTo(200);
        assertThat(again.<String>json("$.state")).isEqualTo("CANCELLED");
        assertThat(again.<String>json("$.reason.origin")).isEqualTo("operator:alice");
    }

    @Test
    void postCancelsEveryTaskOfAName() {
        RunningTasks.Running a1 = tasks.start("Bulk.a");
        RunningTasks.Running a2 = tasks.start("Bulk.a");
        RunningTasks.Running b = tasks.start("Bulk.b");

        Http.Response response = http.as("alice", "secret")
                .post("/actuator/cancellation", "{\"name\":\"Bulk.a\",\"interrupt\":false}")
                .capture("cancel-all");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<String>json("$.name")).isEqualTo("Bulk.a");
        assertThat(response.<Boolean>json("$.interrupt")).isFalse();
        assertThat(response.<List<String>>json("$.tasks[*].id")).containsExactlyInAnyOrder(a1.id(), a2.id());
        assertThat(response.<List<String>>json("$.tasks[*].reason.origin")).containsOnly("operator:alice");
        a1.assertCancelled();
        a2.assertCancelled();
        assertThat(registry.find(b.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void postWithInterruptInterruptsAtOnce() {
        RunningTasks.Running stubborn = tasks.startStubborn("Bulk.stubborn");

        Http.Response response = http.post("/actuator/cancellation", "{\"name\":\"Bulk.stubborn\",\"interrupt\":true}");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<Boolean>json("$.interrupt")).isTrue();
        stubborn.assertCancelled();
        assertThat(stubborn.wasInterrupted()).isTrue();
    }

    @Test
    void postWithoutInterruptFlagDoesNotInterrupt() {
        RunningTasks.Running stubborn = tasks.startStubborn("Bulk.patient");

        Http.Response response = http.post("/actuator/cancellation", "{\"name\":\"Bulk.patient\"}");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<Boolean>json("$.interrupt")).isFalse();
        assertThat(registry.find(stubborn.id()).orElseThrow().state()).isEqualTo(TaskState.CANCELLING);
        assertThat(stubborn.wasInterrupted()).isFalse();
    }

    @Test
    void postWithBlankOrMissingNameIsABadRequestAndCancelsNothing() {
        RunningTasks.Running task = tasks.start("Bulk.untouched");

        Http.Response blank = http.post("/actuator/cancellation", "{\"name\":\"  \",\"interrupt\":true}")
                .capture("cancel-all-blank");
        Http.Response missing = http.post("/actuator/cancellation", "{\"interrupt\":true}");

        assertThat(blank.status()).isEqualTo(400);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(registry.find(task.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void exposedOverJmx() throws Exception {
        RunningTasks.Running task = tasks.start("Jmx.task");
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Set<ObjectName> names = server.queryNames(new ObjectName("*:type=Endpoint,name=Cancellation,*"), null);
        assertThat(names).isNotEmpty();
        ObjectName endpoint = names.iterator().next();

        Object list = server.invoke(endpoint, "tasks", new Object[] { "Jmx.task", null },
                new String[] { String.class.getName(), String.class.getName() });
        Object cancelled = server.invoke(endpoint, "cancel", new Object[] { task.id() },
                new String[] { String.class.getName() });

        assertThat(list).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .extractingByKey("tasks").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .hasSize(1);
        assertThat(cancelled).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .extractingByKey("reason").asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("origin", "actuator");
        task.assertCancelled();
    }

    @Test
    void metersAreInTheMetricsEndpoint() {
        RunningTasks.Running running = tasks.start("Metrics.task");
        RunningTasks.Running done = tasks.start("Metrics.task");
        done.complete();
        done.awaitExit();
        RunningTasks.Running cancelled = tasks.start("Metrics.task");
        http.delete("/actuator/cancellation/" + cancelled.id());
        cancelled.assertCancelled();

        Http.Response names = http.get("/actuator/metrics");
        Http.Response timer = http.get("/actuator/metrics/cancellation.task?tag=task:Metrics.task&tag=outcome:completed")
                .capture("metrics-task");
        Http.Response active = http.get("/actuator/metrics/cancellation.task.active?tag=task:Metrics.task");
        Http.Response counter = http.get("/actuator/metrics/cancellation.cancelled?tag=task:Metrics.task")
                .capture("metrics-cancelled");
        Http.Response latency = http.get("/actuator/metrics/cancellation.stop.latency?tag=task:Metrics.task");

        assertThat(names.<List<String>>json("$.names")).contains("cancellation.task", "cancellation.task.active",
                "cancellation.cancelled", "cancellation.stop.latency", "cancellation.tasks.running",
                "cancellation.tasks.abandoned");
        assertThat(timer.<List<Double>>json("$.measurements[?(@.statistic == 'COUNT')].value"))
                .containsExactly(1.0);
        assertThat(active.<List<Double>>json("$.measurements[?(@.statistic == 'ACTIVE_TASKS')].value"))
                .containsExactly(1.0);
        assertThat(counter.<List<Double>>json("$.measurements[?(@.statistic == 'COUNT')].value"))
                .containsExactly(1.0);
        assertThat(counter.<List<String>>json("$.availableTags[?(@.tag == 'reason')].values[*]"))
                .containsExactly("requested");
        assertThat(latency.<List<Double>>json("$.measurements[?(@.statistic == 'COUNT')].value"))
                .containsExactly(1.0);
        assertThat(registry.find(running.id())).isPresent();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        /** Everything open (writes are governed by the endpoint access), with optional basic credentials. */
        @Bean
        SecurityFilterChain open(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
                    .httpBasic(withDefaults())
                    .csrf(csrf -> csrf.disable())
                    .build();
        }

        @Bean
        InMemoryUserDetailsManager users() {
            return operatorAliceAndViewerBob();
        }
    }
}
