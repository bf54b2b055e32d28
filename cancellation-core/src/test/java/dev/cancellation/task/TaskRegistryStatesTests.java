package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Task states and how {@link TaskHandle#exit(Throwable)} translates the way a task's code ended. */
class TaskRegistryStatesTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final RecordingListener events = new RecordingListener();
    private final CountDownLatch release = new CountDownLatch(1);

    {
        registry.addListener(events);
    }

    @AfterEach
    void tearDown() {
        release.countDown();
        registry.shutdown(Duration.ZERO, Duration.ofSeconds(2), true, Duration.ofMillis(100));
    }

    private static TaskSpec spec(String name) {
        return new TaskSpec(name, CancellationToken.none(), null, null, null, null);
    }

    @Test
    void runningTaskIsListedWithItsThreadAndCompletedTaskLeavesWithoutHistory() {
        RunningTask task = RunningTask.start(registry, spec("work"), token -> {
            release.await();
            return 42;
        });
        TaskInfo info = registry.find(task.id()).orElseThrow();
        assertThat(info.state()).isEqualTo(TaskState.RUNNING);
        assertThat(info.thread()).isEqualTo("task-work");
        assertThat(info.name()).isEqualTo("work");
        assertThat(info.parentId()).isNull();
        assertThat(info.reason()).isNull();
        assertThat(info.id()).matches("[0-9a-f]{16}");

        release.countDown();
        assertThat(task.result()).isEqualTo(42);
        assertThat(registry.size()).isZero();
        assertThat(registry.find(task.id())).isEmpty();
        assertThat(registry.history()).isEmpty();
        assertThat(events.of("work")).containsExactly("started work", "exited work COMPLETED",
                "removed work COMPLETED");
    }

    @Test
    void cancelledTaskIsCancellingUntilItExitsThenCancelledWithItsReason() {
        CountDownLatch sawCancel = new CountDownLatch(1);
        RunningTask task = RunningTask.start(registry, spec("coop"), token -> {
            token.onCancel(r -> sawCancel.countDown());
            sawCancel.await();
            release.await(); // keeps running after the cancel, so CANCELLING is observable
            token.throwIfCancelled();
            return null;
        });
        CancellationReason reason = CancellationReason.requested("operator says so", "alice");
        TaskInfo afterCancel = registry.cancel(task.id(), reason).orElseThrow();
        assertThat(afterCancel.state()).isEqualTo(TaskState.CANCELLING);
        assertThat(afterCancel.reason()).isSameAs(reason);

        release.countDown();
        Throwable failure = task.failure();
        assertThat(failure).isExactlyInstanceOf(TaskCancelledException.class);
        assertThat(((TaskCancelledException) failure).reason()).isSameAs(reason);
        assertThat(registry.size()).isZero();
        assertThat(registry.history()).singleElement().satisfies(info -> {
            assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
            assertThat(info.reason()).isSameAs(reason);
            assertThat(info.finishedAt()).isNotNull();
        });
    }

    @Test
    void timeoutGivesTaskTimeoutException() {
        TaskSpec timed = new TaskSpec("timed", CancellationToken.none(), Duration.ofMillis(50), null, null, null);
        RunningTask task = RunningTask.start(registry, timed, token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        });
        Throwable failure = task.failure();
        assertThat(failure).isInstanceOf(TaskTimeoutException.class).hasMessageContaining("50ms");
        assertThat(registry.history()).singleElement().extracting(TaskInfo::state).isEqualTo(TaskState.CANCELLED);
        assertThat(events.of("timed")).contains("exited timed TIMEOUT");
    }

    @Test
    void interruptedExceptionAfterCancelIsTranslatedWithTheCause() {
        RunningTask task = RunningTask.start(registry, spec("sleeper"), token -> {
            Thread self = Thread.currentThread();
            token.onCancel(r -> self.interrupt()); // the code's own reaction to cancel
            Thread.sleep(60_000);
            return null;
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        Throwable failure = task.failure();
        assertThat(failure).isExactlyInstanceOf(TaskCancelledException.class)
                .hasCauseInstanceOf(InterruptedException.class);
        assertThat(task.interruptedAfter).isFalse(); // Thread.sleep consumed it
    }

    @Test
    void interruptCausedExceptionDeepInTheCauseChainAfterCancelIsTranslated() {
        RunningTask task = RunningTask.start(registry, spec("io"), token -> {
            token.whenCancelled().toCompletableFuture().join();
            throw new IllegalStateException("wrapped",
                    new UncheckedIOException(new InterruptedIOException("read interrupted")));
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        assertThat(task.failure()).isExactlyInstanceOf(TaskCancelledException.class)
                .hasRootCauseInstanceOf(InterruptedIOException.class);
    }

    @Test
    void normalReturnAfterCancelReturnsTheResultAsCompleted() {
        RunningTask task = RunningTask.start(registry, spec("stubborn"), token -> {
            token.whenCancelled().toCompletableFuture().join();
            // the cancelling thread delivers onCancelRequested; return only once it has, so the order is fixed
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> events.of("stubborn").contains("cancelRequested stubborn REQUESTED"));
            return "done anyway";
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        assertThat(task.result()).isEqualTo("done anyway");
        assertThat(events.of("stubborn")).containsExactly("started stubborn", "cancelRequested stubborn REQUESTED",
                "exited stubborn COMPLETED", "removed stubborn COMPLETED");
        assertThat(registry.history()).isEmpty();
    }

    @Test
    void unrelatedFailureAfterCancelIsFailedAndRethrownAsIs() {
        IllegalArgumentException bug = new IllegalArgumentException("bug");
        RunningTask task = RunningTask.start(registry, spec("buggy"), token -> {
            token.whenCancelled().toCompletableFuture().join();
            throw bug;
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        assertThat(task.failure()).isSameAs(bug);
        assertThat(registry.history()).singleElement().extracting(TaskInfo::state).isEqualTo(TaskState.FAILED);
    }

    @Test
    void interruptedExceptionWithoutCancelIsAFailure() {
        RunningTask task = RunningTask.start(registry, spec("foreign"), token -> {
            throw new InterruptedException("someone else");
        });
        assertThat(task.failure()).isExactlyInstanceOf(InterruptedException.class);
        assertThat(registry.history()).singleElement().extracting(TaskInfo::state).isEqualTo(TaskState.FAILED);
    }

    @Test
    void failureWithoutCancelIsFailed() {
        RunningTask task = RunningTask.start(registry, spec("fails"), token -> {
            throw new IllegalStateException("boom");
        });
        assertThat(task.failure()).isExactlyInstanceOf(IllegalStateException.class).hasMessage("boom");
        assertThat(events.of("fails")).containsExactly("started fails", "exited fails FAILED",
                "removed fails FAILED");
    }

    @Test
    void exitTwiceIsRejected() {
        TaskHandle handle = registry.start(spec("twice"));
        handle.exit(null);
        assertThatThrownBy(() -> handle.exit(null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(handle.id()).hasMessageContaining("twice");
    }

    @Test
    void programmaticRunCooperatesAndIsNeverAbandonedOnItsOwn() {
        CompletableFuture<Object> outcome = CompletableFuture.supplyAsync(() -> registry.run("programmatic",
                null, token -> {
                    token.whenCancelled().toCompletableFuture().join();
                    token.throwIfCancelled();
                    return null;
                }));
        await().until(() -> registry.list("programmatic", null).size() == 1);
        String id = registry.list("programmatic", null).get(0).id();
        registry.cancel(id, CancellationReason.requested("test"));
        assertThatThrownBy(outcome::join).hasCauseInstanceOf(TaskCancelledException.class);
        assertThat(events.of("programmatic")).doesNotContain("abandoned programmatic");
        assertThat(registry.history()).singleElement().extracting(TaskInfo::state).isEqualTo(TaskState.CANCELLED);
    }

    @Test
    void programmaticRunTimesOut() {
        assertThatThrownBy(() -> registry.run("slow", Duration.ofMillis(20), token -> {
            token.whenCancelled().toCompletableFuture().join();
            token.throwIfCancelled();
            return null;
        })).isInstanceOf(TaskTimeoutException.class).hasMessageContaining("timed out after 20ms");
    }

    @Test
    void taskStartedUnderACancelledParentReportsStartedBeforeCancelRequested() {
        dev.cancellation.CancellationSource parent = dev.cancellation.CancellationSource.create();
        parent.cancel(CancellationReason.requested("early"));
        TaskHandle handle = registry.start(spec("late").withParent(parent.token()));
        assertThat(handle.state()).isEqualTo(TaskState.CANCELLING);
        handle.exit(null);
        assertThat(events.of("late")).containsExactly("started late", "cancelRequested late REQUESTED",
                "exited late COMPLETED", "removed late COMPLETED");
    }

    @Test
    void specRejectsBlankNamesAndNegativeDurations() {
        assertThatThrownBy(() -> new TaskSpec(" ", null, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> new TaskSpec("neg", null, Duration.ofMillis(-1), null, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("neg")
                .hasMessageContaining("timeout");
        assertThatThrownBy(() -> new TaskSpec("neg", null, null, null, Duration.ofMillis(-1), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("abandonAfter");
    }
}
