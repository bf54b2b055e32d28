package dev.cancellation.micrometer;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.actuate.RunningTasks;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cancellation meters and the task timers, recorded by a {@link SimpleMeterRegistry}. */
class CancellationMetersTests {

    private final MeterRegistry meters = new SimpleMeterRegistry();
    private final TaskRegistry registry = new TaskRegistry(
            new TaskRegistry.Settings(100, 2, 100, Duration.ofMillis(300)));
    private final CancellationMeters cancellationMeters = CancellationMeters.bind(registry, meters);
    private final RunningTasks tasks = new RunningTasks(registry);

    @AfterEach
    void stop() throws InterruptedException {
        tasks.close();
        cancellationMeters.close();
        registry.close();
    }

    @Test
    void countsCancelRequestsByTaskAndReasonKind() {
        RunningTasks.Running requested = tasks.start("Job.a");
        RunningTasks.Running timedOut = tasks.start(RunningTasks.spec("Job.a", Duration.ofMillis(20)));
        RunningTasks.Running other = tasks.start("Job.b");
        registry.cancel(requested.id(), CancellationReason.requested("test"));
        registry.cancel(requested.id(), CancellationReason.requested("again")); // not a new request
        requested.assertCancelled();
        timedOut.assertCancelled();
        registry.shutdown(Duration.ZERO, PROMPTLY, false, Duration.ZERO);
        other.assertCancelled();

        assertThat(meters.get("cancellation.cancelled").tags("task", "Job.a", "reason", "requested").counter()
                .count()).isEqualTo(1);
        assertThat(meters.get("cancellation.cancelled").tags("task", "Job.a", "reason", "timeout").counter()
                .count()).isEqualTo(1);
        assertThat(meters.get("cancellation.cancelled").tags("task", "Job.b", "reason", "shutdown").counter()
                .count()).isEqualTo(1);
        assertThat(meters.find("cancellation.cancelled").tags("task", "Job.b", "reason", "requested").counter())
                .isNull();
    }

    @Test
    void recordsStopLatencyOfCancelledTasksOnly() {
        RunningTasks.Running completed = tasks.start("Job.a");
        completed.complete();
        completed.awaitExit();
        assertThat(meters.find("cancellation.stop.latency").timer()).isNull();

        RunningTasks.Running stubborn = tasks.startStubborn("Job.a");
        registry.cancel(stubborn.id(), CancellationReason.requested("test"));
        long before = System.nanoTime();
        // let the stubborn task ignore its cancel for a while, so the latency is measurably from the request
        await().atMost(PROMPTLY).until(() -> System.nanoTime() - before > 50_000_000L);
        stubborn.complete();
        stubborn.awaitExit();

        Timer latency = meters.get("cancellation.stop.latency").tag("task", "Job.a").timer();
        assertThat(latency.count()).isEqualTo(1);
        assertThat(latency.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(50)
                .isLessThan(PROMPTLY.toMillis() * 2);
    }

    @Test
    void timesCleanupsByOutcome() {
        CountDownLatch neverReleased = new CountDownLatch(1);
        RunningTasks.Running succeeds = tasks.start("Job.clean", (task, reason, token) -> null);
        RunningTasks.Running fails = tasks.start("Job.clean", (task, reason, token) -> {
            throw new IllegalStateException("cleanup failed");
        });
        RunningTasks.Running hangs = tasks.start("Job.clean", (task, reason, token) -> {
            neverReleased.await(); // interrupted when the cleanup bound passes
            return null;
        });
        registry.cancelAll("Job.clean", CancellationReason.requested("test"));
        succeeds.assertCancelled();
        fails.assertCancelled();
        hangs.assertCancelled();

        await().atMost(PROMPTLY).until(() -> registry.pendingCleanups() == 0);
        for (String outcome : new String[] { "success", "failed", "timeout" }) {
            assertThat(meters.get("cancellation.cleanup").tags("task", "Job.clean", "outcome", outcome).timer()
                    .count()).as(outcome).isEqualTo(1);
        }
        assertThat(meters.get("cancellation.cleanup").tags("outcome", "timeout").timer()
                .totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(300);
    }

    @Test
    void gaugesRunningAndAbandonedTasks() {
        assertThat(meters.get("cancellation.tasks.running").gauge().value()).isZero();
        tasks.start("Job.a");
        RunningTasks.Running stubborn = tasks.start(
                new TaskSpec("Job.stubborn", CancellationToken.none(), null, null, Duration.ofMillis(50), null),
                true);

        assertThat(meters.get("cancellation.tasks.running").gauge().value()).isEqualTo(2);
        assertThat(meters.get("cancellation.tasks.abandoned").gauge().value()).isZero();

        registry.cancel(stubborn.id(), CancellationReason.requested("test"));
        await().atMost(PROMPTLY)
                .until(() -> meters.get("cancellation.tasks.abandoned").gauge().value() == 1);
        assertThat(meters.get("cancellation.tasks.running").gauge().value()).isEqualTo(2); // still runs

        stubborn.complete();
        stubborn.awaitExit();
        assertThat(meters.get("cancellation.tasks.abandoned").gauge().value()).isZero();
        assertThat(meters.get("cancellation.tasks.running").gauge().value()).isEqualTo(1);
    }

    @Test
    void taskObservationGivesATimerAndALongTaskTimer() {
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
        try (TaskObservations ignored = TaskObservations.observe(registry, observations, null)) {
            RunningTasks.Running first = tasks.start("Job.a");
            RunningTasks.Running second = tasks.start("Job.a");
            LongTaskTimer active = meters.get("cancellation.task.active").tag("task", "Job.a").longTaskTimer();
            assertThat(active.activeTasks()).isEqualTo(2);

            first.complete();
            first.awaitExit();
            registry.cancel(second.id(), CancellationReason.requested("test"));
            second.assertCancelled();
            RunningTasks.Running third = tasks.start(RunningTasks.spec("Job.a", Duration.ofMillis(10)));
            third.assertCancelled();
            RunningTasks.Running fourth = tasks.start("Job.a");
            fourth.fail(new IllegalStateException("boom"));
            fourth.awaitExit();

            assertThat(active.activeTasks()).isZero();
            for (String outcome : new String[] { "completed", "cancelled", "timeout", "failed" }) {
                assertThat(meters.get("cancellation.task").tags("task", "Job.a", "outcome", outcome).timer().count())
                        .as(outcome).isEqualTo(1);
            }
        }
    }

    @Test
    void closeRemovesGaugesAndStopsRecording() {
        cancellationMeters.close();

        RunningTasks.Running task = tasks.start("Job.a");
        registry.cancel(task.id(), CancellationReason.requested("test"));
        task.assertCancelled();

        assertThat(meters.find("cancellation.tasks.running").gauge()).isNull();
        assertThat(meters.find("cancellation.cancelled").counter()).isNull();
        assertThat(meters.getMeters()).isEmpty();
    }
}
