package dev.cancellation.actuate;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.actuate.CancellationEndpoint.CancelledTasksDescriptor;
import dev.cancellation.actuate.CancellationEndpoint.TaskDescriptor;
import dev.cancellation.actuate.CancellationEndpoint.TasksDescriptor;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.security.Principal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/** The endpoint's operations, invoked directly (the HTTP mapping is covered by the web tests). */
class CancellationEndpointTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final RunningTasks tasks = new RunningTasks(registry);
    private final CancellationEndpoint endpoint = new CancellationEndpoint(registry);

    @AfterEach
    void stop() throws InterruptedException {
        tasks.close();
        registry.close();
    }

    @Test
    void listsRunningTasksWithSummaryAndDetails() {
        RunningTasks.Running report = tasks.start(RunningTasks.spec("report", Duration.ofHours(1)));
        RunningTasks.Running export1 = tasks.start("export");
        tasks.start("export");
        registry.cancel(export1.id(), CancellationReason.requested("test"));
        await().atMost(PROMPTLY).until(() -> registry.find(export1.id()).isEmpty());

        TasksDescriptor list = endpoint.tasks(null, null);

        assertThat(list.tasks()).extracting(TaskDescriptor::name).containsExactly("report", "export");
        TaskDescriptor first = list.tasks().get(0);
        assertThat(first.id()).isEqualTo(report.id());
        assertThat(first.state()).isEqualTo(TaskState.RUNNING);
        assertThat(first.thread()).isEqualTo("task-report");
        assertThat(first.deadline()).isAfter(Instant.now().plus(Duration.ofMinutes(50)));
        assertThat(first.startedAt()).isBefore(Instant.now().plusSeconds(1));
        assertThat(first.elapsed()).isNotNegative();
        assertThat(first.reason()).isNull();
        assertThat(first.children()).isNull();
        assertThat(list.summary().total()).isEqualTo(2);
        assertThat(list.summary().byState()).containsExactly(java.util.Map.entry("RUNNING", 2));
        assertThat(list.summary().byName()).containsOnly(java.util.Map.entry("export", 1),
                java.util.Map.entry("report", 1));
        assertThat(list.history()).singleElement().satisfies(task -> {
            assertThat(task.id()).isEqualTo(export1.id());
            assertThat(task.state()).isEqualTo(TaskState.CANCELLED);
            assertThat(task.finishedAt()).isNotNull();
            assertThat(task.reason().origin()).isEqualTo("test");
        });
    }

    @Test
    void filtersByNameAndStateCaseInsensitively() {
        RunningTasks.Running a = tasks.start("a");
        tasks.start("a");
        tasks.start("b");
        RunningTasks.Running stubborn = tasks.startStubborn("a");
        registry.cancel(stubborn.id(), CancellationReason.requested("test")); // stays CANCELLING: ignores it
        registry.cancel(a.id(), CancellationReason.requested("test"));
        a.assertCancelled();

        assertThat(endpoint.tasks("a", "cancelling").tasks()).extracting(TaskDescriptor::id)
                .containsExactly(stubborn.id());
        assertThat(endpoint.tasks("a", "cancelling").summary().byState()).containsOnlyKeys("CANCELLING");
        assertThat(endpoint.tasks("a", "running").tasks()).extracting(TaskDescriptor::name).containsExactly("a");
        assertThat(endpoint.tasks("b", null).tasks()).hasSize(1);
        assertThat(endpoint.tasks(null, "RUNNING").summary().byName()).containsOnlyKeys("a", "b");
        assertThat(endpoint.tasks("nope", null).tasks()).isEmpty();
        assertThat(endpoint.tasks("", "").tasks()).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void showsATasksAttributesInOrderAndNoneForATaskWithout() {
        RunningTasks.Running record = tasks.start(RunningTasks.spec("orders-listener", Duration.ofHours(1))
                .withAttributes(Map.of("partition", "3")));
        RunningTasks.Running plain = tasks.start("plain");

        assertThat(endpoint.task(record.id()).attributes()).containsExactly(Map.entry("partition", "3"));
        assertThat(endpoint.tasks("plain", null).tasks()).singleElement()
                .satisfies(task -> assertThat(task.attributes()).isNull());
        assertThat(plain.id()).isNotEqualTo(record.id());
    }

    @Test
    void unknownStateIsAnInvalidRequestNamingTheValue() {
        assertThatExceptionOfType(InvalidEndpointRequestException.class)
                .isThrownBy(() -> endpoint.tasks(null, "sleeping"))
                .withMessageContaining("'sleeping'")
                .withMessageContaining("CANCELLING");
    }

    @Test
    void showsOneTaskWithItsChildrenTree() {
        RunningTasks.Running root = tasks.start("root");
        RunningTasks.Running child = tasks.startChild(root, "child");
        RunningTasks.Running grandChild = tasks.startChild(child, "grandchild");
        RunningTasks.Running other = tasks.start("other");

        TaskDescriptor task = endpoint.task(root.id());

        assertThat(task.id()).isEqualTo(root.id());
        assertThat(task.children()).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo(child.id());
            assertThat(c.parentId()).isEqualTo(root.id());
            assertThat(c.children()).singleElement().satisfies(g -> {
                assertThat(g.id()).isEqualTo(grandChild.id());
                assertThat(g.children()).isEmpty();
            });
        });
        assertThat(endpoint.task(other.id()).children()).isEmpty();
        assertThat(endpoint.task("0123456789abcdef01234567")).isNull();
    }

    @Test
    void findsAFinishedTaskInTheHistory() {
        RunningTasks.Running task = tasks.start("failing");
        task.fail(new IllegalStateException("boom"));
        task.awaitExit();

        TaskDescriptor found = endpoint.task(task.id());

        assertThat(found.state()).isEqualTo(TaskState.FAILED);
        assertThat(found.finishedAt()).isNotNull();
        assertThat(found.children()).isEmpty();
    }

    @Test
    void cancelsWithAReasonNamingThePrincipal() {
        RunningTasks.Running task = tasks.start("report");

        TaskDescriptor after = endpoint.cancel(task.id(), user("alice"));

        assertThat(after.id()).isEqualTo(task.id());
        assertThat(after.state()).isIn(TaskState.CANCELLING, TaskState.CANCELLED);
        assertThat(after.reason().kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
        assertThat(after.reason().origin()).isEqualTo("operator:alice");
        task.assertCancelled();
    }

    @Test
    void cancelWithoutPrincipalNamesTheActuator() {
        RunningTasks.Running task = tasks.start("report");

        assertThat(endpoint.cancel(task.id(), SecurityContext.NONE).reason().origin()).isEqualTo("actuator");
        assertThat(endpoint.cancel(tasks.start("x").id(), null).reason().origin()).isEqualTo("actuator");
        task.assertCancelled();
    }

    @Test
    void cancelIsIdempotentAndKeepsTheFirstReason() {
        RunningTasks.Running task = tasks.start("report");
        endpoint.cancel(task.id(), user("alice"));
        task.assertCancelled();
        await().atMost(PROMPTLY).until(() -> registry.find(task.id()).isEmpty());

        TaskDescriptor again = endpoint.cancel(task.id(), user("bob"));

        assertThat(again.state()).isEqualTo(TaskState.CANCELLED);
        assertThat(again.reason().origin()).isEqualTo("operator:alice");
    }

    @Test
    void cancelOfUnknownIdIsNullAndA404OverHttp() {
        assertThat(endpoint.cancel("missing", SecurityContext.NONE)).isNull();
        WebEndpointResponse<Object> response = new CancellationEndpointWebExtension(endpoint)
                .cancel("missing", SecurityContext.NONE);
        assertThat(response.getStatus()).isEqualTo(404);
        assertThat(response.getContentType()).hasToString("application/problem+json");
        assertThat(response.getBody()).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("status", 404).containsEntry("field", "id")
                .containsEntry("detail", "No live or recent task has id 'missing'");
    }

    @Test
    void cancelsAllTasksOfANameOnly() {
        RunningTasks.Running a1 = tasks.start("a");
        RunningTasks.Running a2 = tasks.start("a");
        RunningTasks.Running b = tasks.start("b");

        CancelledTasksDescriptor result = endpoint.cancelAll("a", null, user("alice"));

        assertThat(result.name()).isEqualTo("a");
        assertThat(result.interrupt()).isFalse();
        assertThat(result.tasks()).extracting(TaskDescriptor::id).containsExactlyInAnyOrder(a1.id(), a2.id());
        assertThat(result.tasks()).allSatisfy(t -> assertThat(t.reason().origin()).isEqualTo("operator:alice"));
        a1.assertCancelled();
        a2.assertCancelled();
        assertThat(a1.wasInterrupted()).isFalse();
        assertThat(registry.find(b.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void cancelAllWithInterruptInterruptsTheThreadsAtOnce() {
        RunningTasks.Running patient = tasks.startStubborn("stubborn");
        endpoint.cancelAll("stubborn", false, SecurityContext.NONE);
        assertThat(registry.find(patient.id()).orElseThrow().state()).isEqualTo(TaskState.CANCELLING);
        assertThat(patient.wasInterrupted()).isFalse();

        CancelledTasksDescriptor result = endpoint.cancelAll("stubborn", true, SecurityContext.NONE);

        assertThat(result.interrupt()).isTrue();
        assertThat(result.tasks()).singleElement().extracting(TaskDescriptor::id).isEqualTo(patient.id());
        patient.assertCancelled();
        assertThat(patient.wasInterrupted()).isTrue();
    }

    @Test
    void blankNameIsRejectedNotEverything() {
        RunningTasks.Running task = tasks.start("a");
        for (String blank : new String[] { "", "  " }) {
            assertThatExceptionOfType(InvalidEndpointRequestException.class)
                    .isThrownBy(() -> endpoint.cancelAll(blank, true, SecurityContext.NONE))
                    .withMessageContaining("must not be blank");
        }
        assertThat(registry.find(task.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    private static SecurityContext user(String name) {
        return new SecurityContext() {
            @Override
            public @Nullable Principal getPrincipal() {
                return () -> name;
            }

            @Override
            public boolean isUserInRole(String role) {
                return false;
            }
        };
    }
}
