package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the cheaper task path must keep: ids generated on first sight still find their task and are unique,
 * instants derived from nanoTime are right, listeners get exactly the events they implement (with the failure on
 * exit), and a shutdown with a saturated cleanup executor loses no cleanup.
 */
class TaskRegistryCostModelTests {

    private TaskRegistry registry = new TaskRegistry();

    @AfterEach
    void tearDown() {
        registry.shutdown(Duration.ZERO, Duration.ofMillis(200), true, Duration.ZERO); // some tests leave tasks running
    }

    private static TaskSpec spec(String name) {
        return new TaskSpec(name, CancellationToken.none(), null, null, null, null);
    }

    @Test
    void idsAreFindableOnceSeenUniqueAndStable() {
        List<TaskHandle> handles = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            handles.add(registry.start(spec("t")));
        }
        Set<String> ids = new HashSet<>();
        for (TaskHandle handle : handles) {
            String id = handle.id();
            assertThat(id).matches("[0-9a-f]{16}");
            assertThat(handle.id()).as("stable").isEqualTo(id);
            assertThat(registry.find(id)).map(TaskInfo::id).contains(id);
            assertThat(registry.handle(id)).containsSame(handle);
            ids.add(id);
        }
        assertThat(ids).hasSize(200);
        // ids first seen through a listing are findable too
        TaskHandle unseen = registry.start(spec("listed"));
        String listedId = registry.list("listed", null).get(0).id();
        assertThat(registry.handle(listedId)).containsSame(unseen);

        TaskHandle first = handles.get(0);
        String id = first.id();
        first.exit(null);
        assertThat(registry.find(id)).as("a finished task leaves the index").isEmpty();
        assertThat(registry.cancel(id, CancellationReason.requested("late"))).isEmpty();
        assertThat(registry.find("0123456789abcdef")).isEmpty();
        assertThat(registry.find(null)).isEmpty();
    }

    @Test
    void aTaskFirstSeenAfterItFinishedKeepsOneIdAndIsNotFindable() {
        TaskHandle handle = registry.start(spec("late"));
        handle.cancel(CancellationReason.requested("test"));
        handle.exit(new TaskCancelledException(handle.token().reason().orElseThrow()));
        String id = handle.id(); // revealed only now, from the history entry built at removal
        assertThat(registry.history()).extracting(TaskInfo::id).containsExactly(id);
        assertThat(registry.findIncludingHistory(id)).map(TaskInfo::state).contains(TaskState.CANCELLED);
        assertThat(registry.find(id)).isEmpty();
    }

    @Test
    void parentAndChildrenAreLinkedWithoutTheParentIdBeingGeneratedUpFront() {
        TaskHandle parent = registry.start(spec("parent"));
        TaskHandle child = registry.start(spec("child").withParent(parent.token()));
        TaskHandle unrelated = registry.start(spec("other"));
        assertThat(child.parentId()).isEqualTo(parent.id());
        assertThat(registry.children(parent.id())).extracting(TaskInfo::name).containsExactly("child");
        assertThat(registry.children(unrelated.id())).isEmpty();
        assertThat(registry.handleFor(child.token())).containsSame(child);
        String parentId = parent.id();
        parent.exit(null);
        assertThat(registry.find(child.id()).orElseThrow().parentId()).isEqualTo(parentId);
        assertThat(registry.children(parentId)).as("by id once the parent is gone").extracting(TaskInfo::name)
                .containsExactly("child");
    }

    @Test
    void instantsDerivedFromNanoTimeMatchTheWallClock() {
        Instant before = Instant.now();
        TaskHandle handle = registry.start(spec("timed"));
        Instant after = Instant.now();
        TaskInfo info = handle.info();
        // generous: the derivation may differ from the wall clock by the time between two clock reads
        assertThat(info.startedAt()).isBetween(before.minusMillis(50), after.plusMillis(50));
        assertThat(info.finishedAt()).isNull();
        handle.cancel(CancellationReason.requested("test"));
        handle.exit(new TaskCancelledException(handle.token().reason().orElseThrow()));
        Instant end = Instant.now();
        TaskInfo finished = registry.history().get(0);
        assertThat(finished.finishedAt()).isBetween(finished.startedAt(), end.plusMillis(50));
        assertThat(Duration.between(finished.startedAt(), finished.finishedAt())).isEqualTo(finished.elapsed());
    }

    /** Implements only the cancel event: must get nothing else, and no snapshot must be built for it. */
    static final class CancelOnly implements TaskListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void onCancelRequested(TaskInfo task, CancellationReason reason) {
            events.add("cancel " + task.name());
        }
    }

    @Test
    void listenersGetTheEventsTheyImplementAndTheFailureOnExit() {
        CancelOnly cancelOnly = new CancelOnly();
        List<String> fourArgs = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failureSeen = new AtomicReference<>();
        AtomicInteger fiveArgCalls = new AtomicInteger();
        registry.addListener(cancelOnly);
        registry.addListener(new TaskListener() { // the old signature still works
            @Override
            public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, Duration stopLatency) {
                fourArgs.add(task.name() + " " + outcome);
            }
        });
        registry.addListener(new TaskListener() {
            @Override
            public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, Duration stopLatency,
                    Throwable failure) {
                fiveArgCalls.incrementAndGet();
                failureSeen.set(failure);
            }
        });
        TaskHandle ok = registry.start(spec("ok"));
        ok.exit(null);
        assertThat(failureSeen.get()).isNull();
        IllegalStateException boom = new IllegalStateException("boom");
        TaskHandle failing = registry.start(spec("failing"));
        assertThat(failing.exit(boom)).isSameAs(boom);
        assertThat(failureSeen.get()).isSameAs(boom);
        TaskHandle cancelled = registry.start(spec("cancelled"));
        cancelled.cancel(CancellationReason.requested("test"));
        cancelled.exit(new TaskCancelledException(cancelled.token().reason().orElseThrow()));

        assertThat(fiveArgCalls).hasValue(3);
        assertThat(fourArgs).containsExactly("ok COMPLETED", "failing FAILED", "cancelled CANCELLED");
        assertThat(cancelOnly.events).containsExactly("cancel cancelled");
    }

    @Test
    void shutdownWithASaturatedCleanupExecutorLosesNoCleanup() throws Exception {
        registry.shutdown(Duration.ZERO, Duration.ZERO, false, Duration.ZERO);
        // one cleanup thread, one queue slot: almost every cleanup of the mass shutdown overflows
        registry = new TaskRegistry(new TaskRegistry.Settings(10, 1, 1, Duration.ofSeconds(10)));
        int tasks = 200;
        AtomicInteger cleaned = new AtomicInteger();
        Set<String> cleanupThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        CountDownLatch allStarted = new CountDownLatch(tasks);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            TaskSpec spec = new TaskSpec("mass", CancellationToken.none(), null, null, null,
                    (info, reason, token) -> {
                        cleanupThreads.add(Thread.currentThread().getName());
                        cleaned.incrementAndGet();
                        return null;
                    });
            Thread thread = new Thread(() -> {
                try {
                    registry.call(spec, token -> {
                        allStarted.countDown();
                        CompletableFuture<Void> cancelled = new CompletableFuture<>();
                        token.onCancel(reason -> cancelled.complete(null));
                        cancelled.join();
                        throw new TaskCancelledException(token.reason().orElseThrow());
                    });
                } catch (Throwable expected) {
                    // the task ends cancelled
                }
            }, "mass-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        allStarted.await();
        ShutdownReport report = registry.shutdown(Duration.ZERO, Duration.ofSeconds(20), true, Duration.ofSeconds(1));
        assertThat(report.cleanupsFailed()).isZero();
        assertThat(report.cleanupsSucceeded()).isEqualTo(tasks);
        assertThat(cleaned).hasValue(tasks);
        assertThat(report.abandoned()).isEmpty();
        assertThat(registry.size()).isZero();
        if (registry.cleanupOverflows() > 0) {
            assertThat(cleanupThreads).as("overflowing cleanups ran on the exiting tasks' threads")
                    .anyMatch(name -> name.startsWith("mass-"));
        }
        for (Thread thread : threads) {
            thread.join(10_000);
            assertThat(thread.isAlive()).isFalse();
        }
    }

    @Test
    void escalationSweeperAbandonsDeafTasksAndDropsExitedOnes() throws Exception {
        TaskSpec spec = new TaskSpec("deaf", CancellationToken.none(), null, Duration.ofMillis(20),
                Duration.ofMillis(20), null);
        List<TaskHandle> handles = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            handles.add(registry.start(spec));
        }
        TaskHandle exitsInTime = registry.start(spec);
        registry.cancelEverything(CancellationReason.requested("test"));
        exitsInTime.exit(null); // exits before its grace: must be dropped, not abandoned
        await().atMost(Duration.ofSeconds(10)).until(() -> handles.stream()
                .allMatch(handle -> handle.state() == TaskState.ABANDONED));
        assertThat(exitsInTime.state()).isEqualTo(TaskState.COMPLETED);
        for (TaskHandle handle : handles) {
            handle.exit(null);
        }
        assertThat(registry.size()).isZero();
    }
}
