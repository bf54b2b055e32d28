package dev.cancellation.micrometer;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.actuate.RunningTasks;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import io.micrometer.common.KeyValues;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@code cancellation.task} observation, recorded by a {@link TestObservationRegistry}. */
class TaskObservationsTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final TestObservationRegistry observationRegistry = TestObservationRegistry.create();
    private final TaskObservations observations = TaskObservations.observe(registry, observationRegistry, null);
    private final RunningTasks tasks = new RunningTasks(registry);

    @AfterEach
    void stop() throws InterruptedException {
        tasks.close();
        observations.close();
        registry.close();
    }

    @Test
    void completedTask() {
        RunningTasks.Running task = tasks.start("Report.render");
        assertThat(observationRegistry).hasObservationWithNameEqualTo("cancellation.task").that()
                .hasBeenStarted().isNotStopped();
        assertThat(observations.openObservations()).isEqualTo(1);

        task.complete();
        task.awaitExit();

        assertThat(observationRegistry).hasSingleObservationThat()
                .hasNameEqualTo("cancellation.task")
                .hasContextualNameEqualTo("Report.render")
                .hasLowCardinalityKeyValue("task", "Report.render")
                .hasLowCardinalityKeyValue("outcome", "completed")
                .hasHighCardinalityKeyValue("task.id", task.id())
                .doesNotHaveHighCardinalityKeyValueWithKey("cancellation.origin")
                .hasBeenStarted()
                .hasBeenStopped();
        assertThat(observations.openObservations()).isZero();
    }

    @Test
    void failedTask() {
        RunningTasks.Running task = tasks.start("Report.render");
        task.fail(new IllegalStateException("boom"));
        task.awaitExit();

        assertThat(observationRegistry).hasSingleObservationThat().hasLowCardinalityKeyValue("outcome", "failed")
                .hasBeenStopped().assertThatError().isInstanceOf(IllegalStateException.class).hasMessage("boom");
    }

    @Test
    void cancelledTaskNamesWhoCancelledIt() {
        RunningTasks.Running task = tasks.start("Report.render");
        registry.cancel(task.id(), CancellationReason.requested("operator:alice"));
        task.assertCancelled();

        assertThat(observationRegistry).hasSingleObservationThat()
                .hasLowCardinalityKeyValue("outcome", "cancelled")
                .hasHighCardinalityKeyValue("cancellation.origin", "operator:alice")
                .hasBeenStopped();
    }

    @Test
    void timedOutTask() {
        RunningTasks.Running task = tasks.start(RunningTasks.spec("Report.render", Duration.ofMillis(20)));
        task.assertCancelled();

        assertThat(observationRegistry).hasSingleObservationThat()
                .hasLowCardinalityKeyValue("outcome", "timeout")
                .hasBeenStopped();
    }

    @Test
    void childTaskObservationIsAChildOfItsParentTaskObservation() {
        RunningTasks.Running parent = tasks.start("Parent");
        tasks.startChild(parent, "Child");

        java.util.function.Predicate<Observation.ContextView> isParent =
                context -> "Parent".equals(context.getLowCardinalityKeyValue("task").getValue());
        assertThat(observationRegistry).hasNumberOfObservationsWithNameEqualTo("cancellation.task", 2)
                .hasAnObservation(observation -> {
                    observation.hasLowCardinalityKeyValue("task", "Child");
                    observation.hasParentObservationContextMatching(isParent);
                })
                .hasAnObservation(observation -> {
                    observation.hasLowCardinalityKeyValue("task", "Parent");
                    observation.doesNotHaveParentObservation();
                });
    }

    @Test
    void topLevelTaskObservationIsAChildOfTheStartersObservation() {
        Observation request = Observation.start("http.server.requests", observationRegistry);
        try (Observation.Scope ignored = request.openScope()) {
            TaskHandle handle = registry.start(new TaskSpec("InRequest", CancellationToken.none(), null, null,
                    Duration.ZERO, null));
            handle.exit(null);
        } finally {
            request.stop();
        }

        assertThat(observationRegistry).hasObservationWithNameEqualTo("cancellation.task").that()
                .hasParentObservationEqualTo(request)
                .hasBeenStopped();
    }

    @Test
    void startedAndStoppedOnDifferentThreadsWithoutLeakingAScope() throws Exception {
        TaskHandle handle = registry.start(new TaskSpec("CrossThread", CancellationToken.none(), null, null,
                Duration.ZERO, null));
        assertThat(observationRegistry.getCurrentObservation()).isNull();

        CompletableFuture.runAsync(() -> handle.exit(null)).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);

        assertThat(observationRegistry).hasSingleObservationThat()
                .hasLowCardinalityKeyValue("outcome", "completed").hasBeenStopped();
        assertThat(observationRegistry.getCurrentObservation()).isNull();
    }

    @Test
    void customConventionReplacesTheDefault() {
        TaskRegistry other = new TaskRegistry();
        TestObservationRegistry otherObservations = TestObservationRegistry.create();
        TaskObservationConvention convention = new DefaultTaskObservationConvention() {
            @Override
            public String getName() {
                return "jobs";
            }

            @Override
            public KeyValues getLowCardinalityKeyValues(TaskObservationContext context) {
                return super.getLowCardinalityKeyValues(context).and("team", "reports");
            }
        };
        try (TaskObservations ignored = TaskObservations.observe(other, otherObservations, convention)) {
            TaskHandle handle = other.start(new TaskSpec("Custom", CancellationToken.none(), null, null,
                    Duration.ZERO, null));
            handle.exit(null);
        } finally {
            other.close();
        }

        assertThat(otherObservations).hasSingleObservationThat().hasNameEqualTo("jobs")
                .hasLowCardinalityKeyValue("team", "reports")
                .hasLowCardinalityKeyValue("outcome", "completed");
    }

    @Test
    void closeStopsObserving() {
        observations.close();

        RunningTasks.Running task = tasks.start("After.close");
        task.complete();
        task.awaitExit();

        assertThat(observationRegistry).doesNotHaveAnyObservation();
    }
}
