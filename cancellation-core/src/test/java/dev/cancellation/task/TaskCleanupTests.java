package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Cleanups: after exit, shielded and bounded, awaited, isolated failures, saturation. */
class TaskCleanupTests extends RecordedRegistryTests {

    TaskCleanupTests() {
        super(new TaskRegistry(new TaskRegistry.Settings(10, 2, 10, Duration.ofMillis(300))), true);
    }

    private static TaskSpec spec(String name, CleanupAction cleanup) {
        return new TaskSpec(name, CancellationToken.none(), null, null, null, cleanup);
    }

    /** Cancels the task and lets it exit because of the cancel. */
    private static void cancelAndExit(TaskHandle handle) {
        handle.cancel(CancellationReason.requested("test"));
        handle.exit(new TaskCancelledException(handle.token().reason().orElseThrow()));
    }

    @Test
    void cleanupRunsOnlyAfterTheCancelledCodeExitedShieldedWithItsOwnBoundedToken() throws Exception {
        CountDownLatch cleanupStarted = new CountDownLatch(1);
        AtomicReference<CancellationToken> cleanupToken = new AtomicReference<>();
        AtomicBoolean currentIsOwn = new AtomicBoolean();
        AtomicBoolean cancelledInCleanup = new AtomicBoolean(true);
        AtomicBoolean startedBeforeExit = new AtomicBoolean();
        AtomicReference<TaskInfo> seen = new AtomicReference<>();
        RunningTask task = RunningTask.start(registry, spec("clean", (info, reason, token) -> {
            cleanupToken.set(token);
            cancelledInCleanup.set(token.isCancelled());
            currentIsOwn.set(CancellationToken.current() == token);
            seen.set(info);
            cleanupStarted.countDown();
            return null;
        }), token -> {
            token.whenCancelled().toCompletableFuture().join();
            release.join(); // keeps running after the cancel
            startedBeforeExit.set(cleanupStarted.getCount() == 0);
            token.throwIfCancelled();
            return null;
        });
        CancellationToken taskToken = task.handle.get().token();
        registry.cancel(task.id(), CancellationReason.requested("test"));
        release.complete(null);
        cleanupStarted.await();
        assertThat(startedBeforeExit).as("cleanup started while the task's code ran").isFalse();
        assertThat(cleanupToken.get()).isNotSameAs(taskToken);
        assertThat(cancelledInCleanup).as("shielded from the task's cancel").isFalse();
        assertThat(cleanupToken.get().deadline()).isPresent();
        assertThat(currentIsOwn).isTrue();
        assertThat(seen.get().reason()).isNotNull();
        await().until(() -> registry.size() == 0);
        assertThat(events.of("clean")).containsSubsequence("exited clean CANCELLED",
                "cleanupFinished clean SUCCESS", "removed clean CANCELLED");
    }

    @Test
    void cleanupIsNotRunForACompletedOrFailedTask() {
        AtomicBoolean ran = new AtomicBoolean();
        CleanupAction cleanup = (info, reason, token) -> {
            ran.set(true);
            return null;
        };
        registry.start(spec("completed", cleanup)).exit(null);
        registry.start(spec("failed", cleanup)).exit(new IllegalStateException());
        TaskHandle cancelledButReturned = registry.start(spec("returned", cleanup));
        cancelledButReturned.cancel(CancellationReason.requested("test"));
        cancelledButReturned.exit(null);
        assertThat(registry.size()).isZero();
        assertThat(ran).isFalse();
    }

    @Test
    void returnedStageIsAwaitedWhileTheTaskIsCleaningUp() {
        CompletableFuture<Void> stage = new CompletableFuture<>();
        TaskHandle handle = registry.start(spec("async", (info, reason, token) -> stage));
        cancelAndExit(handle);
        await().until(() -> registry.find(handle.id()).map(TaskInfo::state).orElse(null) == TaskState.CLEANING_UP);
        assertThat(registry.pendingCleanups()).isEqualTo(1);
        stage.complete(null);
        await().until(() -> registry.size() == 0);
        assertThat(events.of("async")).contains("cleanupFinished async SUCCESS");
        assertThat(registry.pendingCleanups()).isZero();
    }

    @Test
    void failingCleanupIsLoggedAndCountedAndDoesNotAffectOthers() {
        List<String> logged = new CopyOnWriteArrayList<>();
        Logger jul = Logger.getLogger(TaskRegistry.class.getName());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(handler);
        try {
            TaskHandle failing = registry.start(spec("failing", (info, reason, token) -> {
                throw new IllegalStateException("cleanup bug");
            }));
            TaskHandle failingStage = registry.start(spec("failingStage",
                    (info, reason, token) -> CompletableFuture.failedFuture(new IllegalStateException("async bug"))));
            TaskHandle fine = registry.start(spec("fine", (info, reason, token) -> null));
            cancelAndExit(failing);
            cancelAndExit(failingStage);
            cancelAndExit(fine);
            await().until(() -> registry.size() == 0);
            assertThat(events.of("failing")).contains("cleanupFinished failing FAILED", "removed failing CANCELLED");
            assertThat(events.of("failingStage")).contains("cleanupFinished failingStage FAILED");
            assertThat(events.of("fine")).contains("cleanupFinished fine SUCCESS");
            assertThat(events.cleanupFailures).extracting(Throwable::getMessage)
                    .containsExactlyInAnyOrder("cleanup bug", "async bug");
            assertThat(logged).anySatisfy(message -> assertThat(message).contains(failing.id())
                    .contains("failing").contains("failed"));
        } finally {
            jul.removeHandler(handler);
        }
    }

    @Test
    void hangingCleanupIsReportedTimeoutAtTheBoundAndItsThreadInterrupted() throws Exception {
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicReference<CancellationToken> token = new AtomicReference<>();
        TaskHandle handle = registry.start(spec("hangs", (info, reason, cleanupToken) -> {
            token.set(cleanupToken);
            try {
                new CountDownLatch(1).await(); // blocks until interrupted
            } catch (InterruptedException ex) {
                interrupted.countDown();
                throw ex;
            }
            return null;
        }));
        cancelAndExit(handle);
        interrupted.await();
        await().until(() -> registry.size() == 0);
        assertThat(events.of("hangs")).contains("cleanupFinished hangs TIMEOUT", "removed hangs CANCELLED")
                .doesNotContain("cleanupFinished hangs FAILED");
        assertThat(token.get().isCancelled()).isTrue();
    }

    @Test
    void cleanupIgnoringInterruptsIsStillReportedAtTheBoundAndTheNextCleanupRunsUninterrupted() throws Exception {
        registry.shutdown(Duration.ZERO, Duration.ZERO, false, Duration.ZERO);
        registry = new TaskRegistry(new TaskRegistry.Settings(10, 1, 10, Duration.ofMillis(200)));
        registry.addListener(events);
        TaskHandle deaf = registry.start(spec("deaf", (info, reason, token) -> {
            token.whenCancelled().toCompletableFuture().join(); // past the bound: token cancelled + interrupted
            CompletableFuture<Void> uninterruptible = new CompletableFuture<>();
            release.thenRun(() -> uninterruptible.complete(null));
            uninterruptible.join();
            return null;
        }));
        AtomicBoolean nextSawInterrupt = new AtomicBoolean(true);
        CountDownLatch nextRan = new CountDownLatch(1);
        TaskHandle next = registry.start(spec("next", (info, reason, token) -> {
            nextSawInterrupt.set(Thread.currentThread().isInterrupted());
            nextRan.countDown();
            return null;
        }));
        cancelAndExit(deaf);
        await().until(() -> events.of("deaf").contains("cleanupFinished deaf TIMEOUT"));
        cancelAndExit(next); // queued behind the still-running deaf cleanup on the only thread
        release.complete(null);
        nextRan.await();
        assertThat(nextSawInterrupt).as("stale interrupt carried into the next cleanup").isFalse();
        await().until(() -> registry.size() == 0);
    }

    @Test
    void saturatedExecutorFailsTheCleanupAtOnceWithAClearMessage() {
        registry.shutdown(Duration.ZERO, Duration.ZERO, false, Duration.ZERO);
        registry = new TaskRegistry(new TaskRegistry.Settings(10, 1, 1, Duration.ofSeconds(5)));
        registry.addListener(events);
        CountDownLatch busy = new CountDownLatch(1);
        CleanupAction blocking = (info, reason, token) -> {
            busy.countDown();
            release.join();
            return null;
        };
        TaskHandle running = registry.start(spec("running", blocking));
        TaskHandle queued = registry.start(spec("queued", blocking));
        TaskHandle rejected = registry.start(spec("rejected", blocking));
        cancelAndExit(running);
        await().until(() -> busy.getCount() == 0);
        cancelAndExit(queued);
        cancelAndExit(rejected);
        assertThat(events.of("rejected")).contains("cleanupFinished rejected FAILED", "removed rejected CANCELLED");
        assertThat(events.cleanupFailures).singleElement().satisfies(failure -> assertThat(failure.getMessage())
                .contains(rejected.id()).contains("rejected").contains("saturated"));
        release.complete(null);
        await().until(() -> registry.size() == 0);
    }

    @Test
    void abandonedTaskIsCleanedUpWhileItsThreadStillRuns() {
        CountDownLatch cleaned = new CountDownLatch(1);
        TaskSpec spec = new TaskSpec("stuck", CancellationToken.none(), null, null, Duration.ofMillis(20),
                (info, reason, token) -> {
                    cleaned.countDown();
                    return null;
                });
        TaskHandle handle = registry.start(spec);
        handle.cancel(CancellationReason.requested("test"));
        await().until(() -> cleaned.getCount() == 0);
        assertThat(handle.state()).isEqualTo(TaskState.ABANDONED);
        assertThat(registry.find(handle.id())).isPresent();
        handle.exit(null);
        assertThat(registry.size()).isZero();
        assertThat(events.of("stuck")).containsSubsequence("abandoned stuck", "cleanupFinished stuck SUCCESS");
        assertThat(events.of("stuck")).last().isEqualTo("removed stuck ABANDONED");
    }
}
