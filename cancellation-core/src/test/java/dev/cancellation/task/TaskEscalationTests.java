package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Interrupt and abandon escalation of tasks that ignore their cancelled token. */
class TaskEscalationTests extends RecordedRegistryTests {

    TaskEscalationTests() {
        super(new TaskRegistry(), true);
    }

    private static TaskSpec spec(String name, Duration interruptAfter, Duration abandonAfter) {
        return new TaskSpec(name, CancellationToken.none(), null, interruptAfter, abandonAfter, null);
    }

    @Test
    void blockedTaskIsInterruptedAfterTheGraceAndTheInterruptIsConsumedAtDetach() {
        RunningTask task = RunningTask.start(registry, spec("blocked", Duration.ofMillis(50), null), token -> {
            new CountDownLatch(1).await(); // ignores the token, blocks interruptibly
            return null;
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        assertThat(task.failure()).isExactlyInstanceOf(TaskCancelledException.class)
                .hasCauseInstanceOf(InterruptedException.class);
        assertThat(task.interruptedAfter).as("pooled thread left interrupted").isFalse();
        assertThat(registry.history()).singleElement().extracting(TaskInfo::state).isEqualTo(TaskState.CANCELLED);
    }

    /**
     * Once nothing is left to escalate, the sweeper stays parked instead of ending, and the next cancel is served
     * by the same thread: a mass cancel must not wait for a thread to start in a crowd of woken ones.
     */
    @Test
    void theIdleSweeperServesTheNextCancelWithoutANewThread() {
        Set<Thread> before = sweeperThreads();
        escalateOneBlockedTask("first");
        Set<Thread> afterFirst = sweeperThreads();
        afterFirst.removeAll(before);
        assertThat(afterFirst).as("this registry's sweeper").hasSize(1);
        Thread sweeper = afterFirst.iterator().next();
        await().atMost(Duration.ofSeconds(10)).until(() -> sweeper.getState() == Thread.State.TIMED_WAITING
                && registry.size() == 0);

        escalateOneBlockedTask("second"); // interrupted after its grace by the idle sweeper, woken by the cancel

        Set<Thread> afterSecond = sweeperThreads();
        afterSecond.removeAll(before);
        assertThat(afterSecond).containsExactly(sweeper);
        assertThat(sweeper.isAlive()).isTrue();
    }

    private void escalateOneBlockedTask(String name) {
        RunningTask task = RunningTask.start(registry, spec(name, Duration.ofMillis(20), null), token -> {
            new CountDownLatch(1).await(); // ignores the token, blocks interruptibly
            return null;
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        assertThat(task.failure()).isExactlyInstanceOf(TaskCancelledException.class)
                .hasCauseInstanceOf(InterruptedException.class);
    }

    /** The live escalation sweeper threads of every registry in this JVM. */
    private static Set<Thread> sweeperThreads() {
        Set<Thread> sweepers = new HashSet<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals("cancellation-escalation") && thread.isAlive()) {
                sweepers.add(thread);
            }
        }
        return sweepers;
    }

    @Test
    void interruptDeliveredByEscalationIsConsumedEvenWhenTheCodeSwallowsIt() {
        RunningTask task = RunningTask.start(registry, spec("swallows", Duration.ZERO, null), token -> {
            // Waits uninterruptibly: the interrupt flag stays set until detach.
            token.whenCancelled().toCompletableFuture().join();
            while (!Thread.currentThread().isInterrupted()) {
                Thread.onSpinWait();
            }
            return "finished";
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        assertThat(task.result()).isEqualTo("finished");
        assertThat(task.interruptedAfter).isFalse();
    }

    @Test
    void foreignInterruptIsPreserved() throws InterruptedException {
        CountDownLatch interruptedByOther = new CountDownLatch(1);
        RunningTask task = RunningTask.start(registry, spec("foreign", Duration.ZERO, null), token -> {
            Thread.currentThread().interrupt(); // someone else's interrupt, before any escalation
            interruptedByOther.countDown();
            while (!release.isDone()) {
                Thread.onSpinWait(); // a wait that keeps the interrupt flag as it is (join() would clear it)
            }
            return "ok";
        });
        interruptedByOther.await();
        registry.cancel(task.id(), CancellationReason.requested("test"));
        release.complete(null);
        assertThat(task.result()).isEqualTo("ok");
        assertThat(task.interruptedAfter).as("foreign interrupt kept").isTrue();
    }

    @Test
    void taskIgnoringInterruptsIsAbandonedStaysListedAndLeavesWhenItsThreadExits() {
        AtomicBoolean sawInterrupt = new AtomicBoolean();
        RunningTask task = RunningTask.start(registry, spec("deaf", Duration.ofMillis(20), Duration.ofMillis(50)),
                token -> {
                    release.join(); // uninterruptible
                    sawInterrupt.set(Thread.currentThread().isInterrupted());
                    return null;
                });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        await().until(() -> registry.find(task.id()).map(TaskInfo::state).orElse(null) == TaskState.ABANDONED);
        assertThat(registry.abandonedCount()).isEqualTo(1);
        assertThat(registry.list(null, TaskState.ABANDONED)).singleElement()
                .satisfies(info -> assertThat(info.thread()).isEqualTo("task-deaf"));
        assertThat(events.of("deaf")).contains("abandoned deaf");

        release.complete(null);
        assertThat(task.result()).isNull(); // it returned normally in the end: its result is returned
        assertThat(sawInterrupt).isTrue();
        assertThat(task.interruptedAfter).isFalse();
        assertThat(registry.size()).isZero();
        assertThat(registry.abandonedCount()).isZero();
        assertThat(registry.history()).singleElement().extracting(TaskInfo::state).isEqualTo(TaskState.ABANDONED);
    }

    @Test
    void withoutInterruptsATaskIsAbandonedAfterTheGraceOnly() {
        AtomicBoolean interrupted = new AtomicBoolean();
        RunningTask task = RunningTask.start(registry, spec("polite", null, Duration.ofMillis(30)), token -> {
            release.join();
            interrupted.set(Thread.currentThread().isInterrupted());
            return "late";
        });
        registry.cancel(task.id(), CancellationReason.requested("test"));
        await().until(() -> registry.find(task.id()).map(TaskInfo::state).orElse(null) == TaskState.ABANDONED);
        release.complete(null);
        assertThat(task.result()).isEqualTo("late");
        assertThat(interrupted).isFalse();
    }

    @Test
    void escalationIsDisarmedWhenTheTaskExits() throws Exception {
        // Cancelled, exits at once: the interrupt timer must not hit the thread later, in unrelated code.
        CountDownLatch after = new CountDownLatch(1);
        AtomicBoolean interruptedLater = new AtomicBoolean();
        Thread thread = new Thread(() -> {
            TaskHandle handle = registry.start(spec("quick", Duration.ofMillis(30), Duration.ofMillis(30)));
            try (TaskAttachment ignored = handle.attach()) {
                handle.cancel(CancellationReason.requested("test"));
            }
            handle.exit(null);
            try {
                Thread.sleep(300); // long enough for the disarmed timers to have fired, had they been armed
            } catch (InterruptedException ex) {
                interruptedLater.set(true);
            }
            after.countDown();
        });
        thread.start();
        after.await();
        assertThat(interruptedLater).isFalse();
        assertThat(events.of("quick")).doesNotContain("abandoned quick");
    }
}
