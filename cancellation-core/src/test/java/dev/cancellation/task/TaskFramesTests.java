package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tasks begun with {@link TaskRegistry#begin} on a platform thread are held in per-thread frames until observed:
 * they must behave exactly like started tasks whenever anybody looks, cancels, times them out or shuts down, and
 * a frame reused by the next task must never mix the two.
 */
class TaskFramesTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void tearDown() throws InterruptedException {
        release.countDown();
        registry.shutdown(Duration.ZERO, Duration.ofMillis(500), true, Duration.ofMillis(100));
        for (Thread thread : threads) {
            thread.join(5_000);
        }
    }

    private static TaskSpec spec(String name, Duration timeout, Duration interruptAfter) {
        return new TaskSpec(name, CancellationToken.none(), timeout, interruptAfter, null, null);
    }

    /** Runs {@code body} as a begun task on a new platform thread; the future gets what end() returned. */
    private CompletableFuture<Object> runOnThread(TaskSpec spec, CountDownLatch started,
            TaskRegistry.TaskBody<Object> body) {
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            CancellationToken token = registry.begin(spec, CancellationToken.none());
            Throwable failure = null;
            Object result = null;
            try {
                started.countDown();
                result = body.run(token);
            } catch (Throwable ex) {
                failure = ex;
            }
            Throwable toThrow = registry.end(token, failure);
            outcome.complete((toThrow != null) ? toThrow : result);
        }, "frames-" + spec.name());
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
        return outcome;
    }

    @Test
    void anUnobservedTaskIsListedWhenLookedAtWithItsRealStartAndLeavesWhenItEnds() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        long before = System.nanoTime();
        CompletableFuture<Object> outcome = runOnThread(spec("report", null, null), started, token -> {
            release.await();
            return "done";
        });
        started.await();
        assertThat(registry.size()).as("counted without being materialized").isEqualTo(1);
        Thread.sleep(20); // the listed elapsed time must include the time before the listing, not start at it
        List<TaskInfo> listed = registry.list();
        assertThat(listed).singleElement().satisfies(info -> {
            assertThat(info.name()).isEqualTo("report");
            assertThat(info.state()).isEqualTo(TaskState.RUNNING);
            assertThat(info.thread()).isEqualTo("frames-report");
            assertThat(info.elapsed()).isGreaterThanOrEqualTo(Duration.ofMillis(20))
                    .isLessThanOrEqualTo(Duration.ofNanos(System.nanoTime() - before));
        });
        String id = listed.get(0).id();
        assertThat(registry.find(id)).isPresent();
        release.countDown();
        assertThat(outcome.get(5, TimeUnit.SECONDS)).isEqualTo("done");
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.size() == 0);
        assertThat(registry.find(id)).isEmpty();
    }

    @Test
    void cancellingByIdReachesTheBodyAndEndReportsTheCancellation() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Object> outcome = runOnThread(spec("import", null, null), started, token -> {
            while (!token.isCancelled()) {
                Thread.onSpinWait();
            }
            token.throwIfCancelled();
            return "not reached";
        });
        started.await();
        String id = registry.list().get(0).id();
        registry.cancel(id, CancellationReason.requested("operator", "test"));
        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(TaskCancelledException.class,
                ex -> assertThat(ex.reason().message()).isEqualTo("operator"));
        assertThat(registry.history()).extracting(TaskInfo::id).contains(id);
    }

    @Test
    void aTimeoutOfAnUnobservedTaskTellsListenersAndInterruptsAfterTheGrace() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        registry.addListener(new TaskListener() {
            @Override
            public void onCancelRequested(TaskInfo task, CancellationReason reason) {
                events.add("cancelRequested " + task.name() + " " + reason.kind());
            }
        });
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Object> outcome = runOnThread(spec("deaf", Duration.ofMillis(50), Duration.ofMillis(50)),
                started, token -> {
                    new CountDownLatch(1).await(); // ignores the token: only the interrupt ends it
                    return "not reached";
                });
        assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(TaskTimeoutException.class);
        assertThat(events).containsExactly("cancelRequested deaf TIMEOUT");
        assertThat(registry.history()).singleElement().satisfies(info -> {
            assertThat(info.name()).isEqualTo("deaf");
            assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
        });
    }

    @Test
    void shutdownCancelsAndWaitsForTasksNobodyHasLookedAt() throws Exception {
        CountDownLatch started = new CountDownLatch(3);
        List<CompletableFuture<Object>> outcomes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            outcomes.add(runOnThread(spec("worker-" + i, null, null), started, token -> {
                Cancellation.sleep(Duration.ofHours(1), token);
                return "not reached";
            }));
        }
        started.await();
        ShutdownReport report = registry.shutdown(Duration.ZERO, Duration.ofSeconds(5), false, Duration.ZERO);
        assertThat(report.runningAtStart()).isEqualTo(3);
        assertThat(report.cancelled()).extracting(TaskInfo::name)
                .containsExactlyInAnyOrder("worker-0", "worker-1", "worker-2");
        assertThat(report.clean()).isTrue();
        for (CompletableFuture<Object> outcome : outcomes) {
            assertThat(outcome.get(5, TimeUnit.SECONDS)).isInstanceOf(TaskCancelledException.class);
        }
        assertThatThrownBy(() -> registry.begin(spec("late", null, null), null))
                .isInstanceOf(TaskRejectedException.class);
    }

    @Test
    void nestedTasksAreListedWithTheirParentAndEndInnermostFirst() throws Exception {
        CountDownLatch started = new CountDownLatch(2); // the outer task, then the inner one
        AtomicReference<CancellationToken> innerToken = new AtomicReference<>();
        CompletableFuture<Object> outcome = runOnThread(spec("outer", null, null), started, outer -> {
            CancellationToken inner = registry.begin(spec("inner", null, null), outer);
            assertThat(CancellationToken.current()).isSameAs(inner);
            assertThat(inner.isDescendantOf(outer)).isTrue();
            innerToken.set(inner);
            try {
                assertThatThrownBy(() -> registry.end(outer, null)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("frames-outer").hasMessageContaining("innermost first");
                started.countDown();
                release.await();
            } finally {
                registry.end(inner, null);
            }
            assertThat(CancellationToken.current()).isSameAs(outer);
            return "done";
        });
        started.await();
        List<TaskInfo> listed = registry.list();
        TaskInfo outerInfo = listed.stream().filter(info -> info.name().equals("outer")).findFirst().orElseThrow();
        assertThat(listed).filteredOn(info -> info.name().equals("inner")).singleElement()
                .satisfies(info -> assertThat(info.parentId()).isEqualTo(outerInfo.id()));
        assertThat(registry.children(outerInfo.id())).extracting(TaskInfo::name).containsExactly("inner");
        assertThat(registry.handleFor(innerToken.get())).map(TaskHandle::name).contains("inner");
        release.countDown();
        assertThat(outcome.get(5, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(CancellationToken.current().isNone()).isTrue();
    }

    @Test
    void aReusedFrameIsNotReachedByTheTokenTreeOfTheTaskBefore() throws Throwable {
        CancellationSource parent = CancellationSource.create();
        CancellationToken first = registry.begin(spec("first", null, null), parent.token());
        assertThat(registry.end(first, null)).isNull();
        CancellationToken second = registry.begin(spec("second", null, null), CancellationToken.none());
        try {
            parent.cancel();
            assertThat(first.isCancelled()).as("closed and detached at its end").isFalse();
            assertThat(second.isCancelled()).isFalse();
            assertThat(registry.list()).extracting(TaskInfo::name).containsExactly("second");
        } finally {
            assertThat(registry.end(second, null)).isNull();
        }
        assertThat(registry.size()).isZero();
        assertThat(registry.history()).isEmpty();
    }

    @Test
    void aTaskBegunUnderACancelledParentStartsCancelledAndReportsIt() {
        CancellationSource parent = CancellationSource.create();
        parent.cancel(CancellationReason.requested("gone", "test"));
        CancellationToken token = registry.begin(spec("orphan", null, null), parent.token());
        assertThat(token.isCancelled()).isTrue();
        assertThat(registry.list()).singleElement()
                .satisfies(info -> assertThat(info.state()).isEqualTo(TaskState.CANCELLING));
        assertThat(registry.end(token, null)).isNull(); // it returned normally: its result stands
        assertThat(registry.size()).isZero();
    }

    @Test
    void failuresReachTheHistoryAndTheCallerUnchanged() {
        IllegalStateException boom = new IllegalStateException("boom");
        CancellationToken token = registry.begin(spec("fails", null, null), null);
        assertThat(registry.end(token, boom)).isSameAs(boom);
        assertThat(registry.history()).singleElement()
                .satisfies(info -> assertThat(info.state()).isEqualTo(TaskState.FAILED));
    }

    @Test
    void aListenerOfCancellationsOnlyIsToldOfCancelledTasksAndNotOfNormalCompletions() {
        List<String> cancellationsOnly = new CopyOnWriteArrayList<>();
        List<String> everything = new CopyOnWriteArrayList<>();
        registry.addListener(new TaskListener() {
            @Override
            public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, Duration stopLatency) {
                cancellationsOnly.add(task.name() + " " + outcome);
            }

            @Override
            public void onRemoved(TaskInfo task) {
                cancellationsOnly.add("removed " + task.name());
            }

            @Override
            public boolean observesCompletions() {
                return false;
            }
        });
        CancellationToken completed = registry.begin(spec("completes", null, null), null);
        assertThat(registry.end(completed, null)).isNull();
        assertThat(cancellationsOnly).isEmpty();

        CancellationSource parent = CancellationSource.create();
        CancellationToken cancelled = registry.begin(spec("cancelled", null, null), parent.token());
        parent.cancel();
        assertThat(registry.end(cancelled, null)).isNull(); // returned normally after the cancel
        assertThat(cancellationsOnly).containsExactly("cancelled COMPLETED", "removed cancelled");

        registry.addListener(new TaskListener() {
            @Override
            public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, Duration stopLatency) {
                everything.add(task.name() + " " + outcome);
            }
        });
        CancellationToken observed = registry.begin(spec("observed", null, null), null);
        assertThat(registry.end(observed, null)).isNull();
        assertThat(everything).containsExactly("observed COMPLETED");
        assertThat(cancellationsOnly).hasSize(2);
    }

    @Test
    void endWithATokenThatBeganNothingHereNamesTheThread() {
        CancellationToken stranger = CancellationSource.create().token();
        assertThatThrownBy(() -> registry.end(stranger, null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(Thread.currentThread().getName());
    }

    @Test
    void framesSurviveObserversRacingWithTasksThatComeAndGo() throws Exception {
        int workers = 3;
        int maxTasksEach = 2_000_000; // bounded: they stop early once the observer has caught enough of them
        int enoughCaught = 100;
        CountDownLatch observing = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger cancelledByObserver = new AtomicInteger();
        AtomicInteger reportedCancelled = new AtomicInteger();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(workers);
        for (int w = 0; w < workers; w++) {
            Thread worker = new Thread(() -> {
                try {
                    observing.await();
                    for (int i = 0; i < maxTasksEach && cancelledByObserver.get() < enoughCaught; i++) {
                        CancellationToken token = registry.begin(spec("racer", null, null), null);
                        Throwable failure = null;
                        try {
                            Thread.onSpinWait();
                            token.throwIfCancelled();
                        } catch (TaskCancelledException cancelled) {
                            failure = cancelled;
                        }
                        Throwable toThrow = registry.end(token, failure);
                        if (toThrow instanceof TaskCancelledException) {
                            reportedCancelled.incrementAndGet();
                        } else if (toThrow != null) {
                            unexpected.compareAndSet(null, toThrow);
                        }
                        if (CancellationToken.current() != CancellationToken.none()
                                && CancellationToken.current() != null) {
                            unexpected.compareAndSet(null, new AssertionError("token left bound"));
                        }
                    }
                } catch (Throwable ex) {
                    unexpected.compareAndSet(null, ex);
                } finally {
                    done.countDown();
                }
            }, "racer-" + w);
            worker.setDaemon(true);
            threads.add(worker);
            worker.start();
        }
        Thread observer = new Thread(() -> {
            while (!stop.get()) {
                observing.countDown();
                for (TaskInfo info : registry.list()) {
                    if (registry.cancel(info.id(), CancellationReason.requested("observer", "test")).isPresent()) {
                        cancelledByObserver.incrementAndGet();
                    }
                }
                registry.size();
            }
        }, "observer");
        observer.setDaemon(true);
        threads.add(observer);
        observer.start();
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        stop.set(true);
        observer.join(5_000);
        assertThat(unexpected.get()).isNull();
        assertThat(registry.size()).isZero();
        assertThat(registry.list()).isEmpty();
        // every task the observer cancelled while it ran reported it (some the observer cancelled had already
        // returned normally: those keep their result, as a started task does)
        assertThat(cancelledByObserver.get()).as("the observer caught tasks in their frames").isPositive();
        assertThat(reportedCancelled.get()).isLessThanOrEqualTo(cancelledByObserver.get());
    }
}
