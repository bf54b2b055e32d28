package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Registry shutdown: admission, drain, SHUTDOWN cancel, waiting for tasks and cleanups, interrupt, abandon, and
 * its upper bound whatever the tasks do. The only timed assertions are those upper bounds.
 */
class TaskRegistryShutdownTests extends RecordedRegistryTests {

    /** Slack over drain + timeout + lastGrace: generous for a loaded 2-core CI box, small against a hang. */
    private static final Duration SLACK = Duration.ofMillis(1500);

    TaskRegistryShutdownTests() {
        super(new TaskRegistry(new TaskRegistry.Settings(100, 2, 100, Duration.ofMillis(500))), false);
    }

    private static TaskSpec spec(String name) {
        return new TaskSpec(name, CancellationToken.none(), null, null, null, null);
    }

    private ShutdownReport shutdownWithin(Duration drain, Duration timeout, boolean interrupt, Duration lastGrace) {
        long start = System.nanoTime();
        ShutdownReport report = registry.shutdown(drain, timeout, interrupt, lastGrace);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        Duration bound = drain.plus(timeout).plus(lastGrace).plus(SLACK);
        assertThat(took).as("shutdown wall time").isLessThanOrEqualTo(bound);
        assertThat(report.took()).isLessThanOrEqualTo(took);
        return report;
    }

    @Test
    void cooperatingTasksAreCancelledWithShutdownReasonAndAwaitedWithTheirCleanups() {
        CountDownLatch cleaned = new CountDownLatch(2);
        TaskSpec spec = spec("coop").withCleanup((info, reason, token) -> {
            assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
            cleaned.countDown();
            return CompletableFuture.runAsync(() -> { }); // awaited
        });
        RunningTask a = RunningTask.start(registry, spec, token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        });
        RunningTask b = RunningTask.start(registry, spec, token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        });
        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofSeconds(5), true, Duration.ofSeconds(1));
        assertThat(report.runningAtStart()).isEqualTo(2);
        assertThat(report.cancelled()).extracting(TaskInfo::id).containsExactlyInAnyOrder(a.id(), b.id());
        assertThat(report.cleanupsSucceeded()).isEqualTo(2);
        assertThat(report.clean()).isTrue();
        assertThat(report.remaining()).isZero();
        assertThat(cleaned.getCount()).isZero();
        assertThat(((TaskCancelledException) a.failure()).reason().kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
        assertThat(report.describe()).contains("2 task(s) running, 2 cancelled, 2 cleaned up", "0 abandoned");
    }

    @Test
    void massShutdownReportsEveryTaskOnceAndRunsEveryCleanupExactlyOnce() throws Exception {
        int tasks = 1000; // ten times the cleanup queue: cleanups run on the pool and on the exiting threads
        Map<String, AtomicInteger> cleanupsPerTask = new ConcurrentHashMap<>();
        TaskSpec spec = spec("mass").withCleanup((info, reason, token) -> {
            assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
            cleanupsPerTask.computeIfAbsent(info.id(), id -> new AtomicInteger()).incrementAndGet();
            return null;
        });
        List<RunningTask> running = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            running.add(RunningTask.start(registry, spec, token -> {
                token.whenCancelled().toCompletableFuture().join();
                token.throwIfCancelled();
                return null;
            }));
        }
        Set<String> ids = new HashSet<>();
        for (RunningTask task : running) {
            ids.add(task.id());
        }

        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofSeconds(20), true, Duration.ofSeconds(1));

        assertThat(report.runningAtStart()).isEqualTo(tasks);
        assertThat(report.cancelled()).extracting(TaskInfo::id).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(ids);
        assertThat(report.cancelled()).allSatisfy(info -> assertThat(info.reason().kind())
                .isEqualTo(CancellationReason.Kind.SHUTDOWN));
        assertThat(report.cleanupsSucceeded()).isEqualTo(tasks);
        assertThat(report.cleanupsFailed()).isZero();
        assertThat(report.cleanupsTimedOut()).isZero();
        assertThat(report.abandoned()).isEmpty();
        assertThat(report.remaining()).isZero();
        assertThat(cleanupsPerTask.keySet()).isEqualTo(ids);
        assertThat(cleanupsPerTask.values()).allSatisfy(count -> assertThat(count).hasValue(1));
        for (RunningTask task : running) {
            assertThat(task.failure()).isInstanceOf(TaskCancelledException.class);
        }
    }

    @Test
    void reportCountsTasksCancelledThroughTheirParentToo() {
        TaskRegistry.TaskBody<Object> waitForCancel = token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        };
        RunningTask parent = RunningTask.start(registry, spec("parent"), waitForCancel);
        TaskSpec childSpec = spec("child").withParent(parent.handle.get().token());
        RunningTask first = RunningTask.start(registry, childSpec, waitForCancel);
        RunningTask second = RunningTask.start(registry, childSpec, waitForCancel);

        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofSeconds(5), true, Duration.ofSeconds(1));

        // whatever order the sweep visits them in, every task that this shutdown stopped is reported once
        assertThat(report.cancelled()).extracting(TaskInfo::name)
                .containsExactlyInAnyOrder("parent", "child", "child");
        assertThat(report.cancelled()).extracting(TaskInfo::id).doesNotHaveDuplicates();
        for (RunningTask task : List.of(parent, first, second)) {
            assertThat(task.failure()).isInstanceOf(TaskCancelledException.class);
        }
    }

    @Test
    void stopsAdmittingNewTasks() {
        registry.shutdown(Duration.ZERO, Duration.ZERO, false, Duration.ZERO);
        assertThat(registry.isAdmitting()).isFalse();
        assertThatThrownBy(() -> registry.start(spec("late"))).isInstanceOf(TaskRejectedException.class)
                .hasMessageContaining("'late'").hasMessageContaining("shutting down");
        assertThatThrownBy(() -> registry.run("late-run", null, token -> null))
                .isInstanceOf(TaskRejectedException.class);
    }

    @Test
    void drainTimeoutLetsATaskFinishOnItsOwn() {
        RunningTask task = RunningTask.start(registry, spec("drains"), token -> {
            release.join();
            return token.isCancelled() ? "cancelled" : "finished";
        });
        CompletableFuture.runAsync(() -> {
            await().until(() -> !registry.isAdmitting());
            release.complete(null); // finishes during the drain
        });
        ShutdownReport report = shutdownWithin(Duration.ofSeconds(5), Duration.ofSeconds(1), true,
                Duration.ZERO);
        assertThat(task.result()).isEqualTo("finished");
        assertThat(report.cancelled()).isEmpty();
        assertThat(report.runningAtStart()).isEqualTo(1);
        assertThat(report.clean()).isTrue();
    }

    @Test
    void drainTimeoutPassesThenTheTaskIsCancelled() {
        RunningTask task = RunningTask.start(registry, spec("slow"), token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        });
        ShutdownReport report = shutdownWithin(Duration.ofMillis(200), Duration.ofSeconds(2), true, Duration.ZERO);
        assertThat(report.cancelled()).extracting(TaskInfo::id).containsExactly(task.id());
        assertThat(report.clean()).isTrue();
    }

    @Test
    void taskIgnoringCancelIsInterruptedAfterTheTimeout() {
        RunningTask task = RunningTask.start(registry, spec("ignoresCancel"), token -> {
            new CountDownLatch(1).await();
            return null;
        });
        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofMillis(300), true, Duration.ofSeconds(2));
        assertThat(task.failure()).isInstanceOf(TaskCancelledException.class)
                .hasCauseInstanceOf(InterruptedException.class);
        assertThat(task.interruptedAfter).isFalse();
        assertThat(report.clean()).isTrue();
        assertThat(report.remaining()).isZero();
    }

    @Test
    void taskIgnoringInterruptsIsAbandonedWithItsThreadStackInTheReport() {
        RunningTask task = RunningTask.start(registry, spec("deaf"), token -> {
            release.join();
            return null;
        });
        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofMillis(200), true, Duration.ofMillis(200));
        assertThat(report.clean()).isFalse();
        assertThat(report.abandoned()).singleElement().satisfies(abandoned -> {
            assertThat(abandoned.task().id()).isEqualTo(task.id());
            assertThat(abandoned.task().state()).isEqualTo(TaskState.ABANDONED);
            assertThat(abandoned.stack()).isNotEmpty();
        });
        assertThat(report.remaining()).isEqualTo(1);
        assertThat(report.describe()).contains("1 abandoned", "ABANDONED deaf [" + task.id() + "] on thread task-deaf",
                "CompletableFuture.join(");
        assertThat(events.of("deaf")).contains("abandoned deaf");
    }

    @Test
    void withoutInterruptsStragglersAreAbandonedAfterTheLastGrace() {
        RunningTask task = RunningTask.start(registry, spec("blocked"), token -> {
            new CountDownLatch(1).await();
            return null;
        });
        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofMillis(100), false, Duration.ofMillis(100));
        assertThat(report.abandoned()).extracting(a -> a.task().id()).containsExactly(task.id());
        task.thread.interrupt(); // let the test thread go
    }

    @Test
    void hangingAndThrowingCleanupsDoNotHoldShutdownPastItsBound() {
        TaskSpec hangs = spec("hangs").withCleanup((info, reason, token) -> {
            release.join(); // ignores its token and the interrupt
            return null;
        });
        TaskSpec throwsInCleanup = spec("throws").withCleanup((info, reason, token) -> {
            throw new IllegalStateException("cleanup bug");
        });
        TaskSpec neverCompletes = spec("never").withCleanup((info, reason, token) -> new CompletableFuture<>());
        TaskRegistry.TaskBody<Object> cooperative = token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        };
        RunningTask.start(registry, hangs, cooperative);
        RunningTask.start(registry, throwsInCleanup, cooperative);
        RunningTask.start(registry, neverCompletes, cooperative);
        // The cleanup bound (500ms) is shorter than the timeout: hanging cleanups end as TIMEOUT within it.
        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofSeconds(3), true, Duration.ofMillis(200));
        assertThat(report.cleanupsFailed()).isEqualTo(1);
        assertThat(report.cleanupsTimedOut()).isEqualTo(2);
        assertThat(report.clean()).isTrue();
        assertThat(report.describe()).contains("1 cleanup(s) failed", "2 cleanup(s) timed out");
    }

    @Test
    void cleanupStillRunningAtTheBoundIsReportedWithTheCleanupThread() {
        TaskRegistry slowCleanups = new TaskRegistry(new TaskRegistry.Settings(10, 1, 10, Duration.ofSeconds(30)));
        TaskSpec spec = spec("slowCleanup").withCleanup((info, reason, token) -> {
            release.join();
            return null;
        });
        TaskHandle handle = slowCleanups.start(spec);
        handle.cancel(CancellationReason.requested("test"));
        handle.exit(new TaskCancelledException(handle.token().reason().orElseThrow()));
        long start = System.nanoTime();
        ShutdownReport report = slowCleanups.shutdown(Duration.ZERO, Duration.ofMillis(200), true,
                Duration.ofMillis(100));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(300).plus(SLACK));
        assertThat(report.abandoned()).singleElement().satisfies(abandoned -> {
            assertThat(abandoned.task().state()).isEqualTo(TaskState.CLEANING_UP);
            assertThat(abandoned.stack()).isNotEmpty();
        });
    }

    @Test
    void blockingCancelCallbackDoesNotHoldShutdownPastItsBound() {
        RunningTask.start(registry, spec("badCallback"), token -> {
            token.onCancel(reason -> release.join()); // a callback that blocks the cancelling thread
            release.join();
            return null;
        });
        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofMillis(200), true, Duration.ofMillis(100));
        assertThat(report.abandoned()).hasSize(1);
    }

    @Test
    void manyTasksIgnoringEverythingStayWithinTheBound() {
        for (int i = 0; i < 200; i++) {
            registry.start(spec("stuck-" + i)); // never exit: like threads that ignore everything
        }
        ShutdownReport report = shutdownWithin(Duration.ZERO, Duration.ofMillis(200), true, Duration.ofMillis(100));
        assertThat(report.abandoned()).hasSize(200);
        assertThat(report.runningAtStart()).isEqualTo(200);
    }

    @Test
    void secondShutdownReturnsAnEmptyReport() {
        registry.shutdown(Duration.ZERO, Duration.ZERO, false, Duration.ZERO);
        ShutdownReport again = registry.shutdown(Duration.ZERO, Duration.ZERO, false, Duration.ZERO);
        assertThat(again.runningAtStart()).isZero();
        assertThat(again.cancelled()).isEmpty();
        registry.close(); // idempotent as well
    }

    @Test
    void negativeDurationsAreRejectedNamingTheParameter() {
        assertThatThrownBy(() -> registry.shutdown(Duration.ofSeconds(-1), Duration.ZERO, false, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drainTimeout");
        assertThat(registry.isAdmitting()).isTrue();
    }
    /**
     * A drain that cancels tasks before the sweep (the HTTP requests in flight at the end of their drain period):
     * the report counts them the same way whether a task exited before the sweep (here {@code gone}, awaited by the
     * drain) or was still running at it ({@code lingering}, released once admission has closed). Before, the
     * report depended on that timing: "1 task(s) running, 0 cancelled" or "0 task(s) running".
     */
    @Test
    void tasksTheDrainCancelledAreCountedWhetherTheyExitedBeforeTheSweepOrNot() throws Exception {
        TaskRegistry.TaskBody<Object> untilCancelled = token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        };
        CountDownLatch release = new CountDownLatch(1);
        RunningTask gone = RunningTask.start(registry, spec("gone"), untilCancelled);
        RunningTask lingering = RunningTask.start(registry, spec("lingering"), token -> {
            token.whenCancelled().toCompletableFuture().join();
            release.await();
            token.throwIfCancelled();
            return null;
        });
        RunningTask ordinary = RunningTask.start(registry, spec("ordinary"), untilCancelled);
        Thread releaser = new Thread(() -> {
            await().atMost(PROMPTLY).until(() -> !registry.isAdmitting());
            release.countDown();
        });
        releaser.start();

        ShutdownReport report = registry.shutdown(Duration.ZERO, Duration.ofSeconds(5), true, Duration.ofSeconds(1),
                () -> {
                    CancellationReason drained = CancellationReason.shutdown("application shutdown");
                    gone.handle.get().cancel(drained);
                    lingering.handle.get().cancel(drained);
                    gone.failure(); // exited before the registry's sweep
                    assertThat(registry.isAdmitting()).as("admitting during the drain").isTrue();
                });

        releaser.join(PROMPTLY.toMillis());
        assertThat(report.runningAtStart()).isEqualTo(3);
        assertThat(report.cancelled()).extracting(TaskInfo::id)
                .containsExactlyInAnyOrder(gone.id(), lingering.id(), ordinary.id());
        assertThat(report.describe()).startsWith("Cancellation shutdown report: 3 task(s) running, 3 cancelled");
        assertThat(report.clean()).isTrue();
        assertThat(report.remaining()).isZero();
    }

    @Test
    void aFailingDrainDoesNotCostTheTasksTheirShutdown() {
        RunningTask task = RunningTask.start(registry, spec("after-failed-drain"), token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        });

        ShutdownReport report = registry.shutdown(Duration.ZERO, Duration.ofSeconds(5), true, Duration.ofSeconds(1),
                () -> {
                    throw new IllegalStateException("drain failed");
                });

        assertThat(report.cancelled()).extracting(TaskInfo::id).containsExactly(task.id());
        assertThat(registry.isAdmitting()).isFalse();
        assertThat(report.clean()).isTrue();
    }
}
