package dev.cancellation;

import static dev.cancellation.Internals.heldEntries;
import static dev.cancellation.TestSupport.awaitCollected;
import static dev.cancellation.TestSupport.usedHeapAfterGc;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The timer thread: firing, disarming races, sleeping and waking, failures, memory. */
class TimerTests {

    /** A timer of the test's own; once idle, its thread parks with no timeout until the JVM ends. */
    private static Timer newTimer() {
        return new Timer("test-timer");
    }

    private static Timer.Task armAt(Timer timer, long deadline, Runnable action) {
        Timer.Task task = new Timer.Task(timer, deadline, action);
        timer.arm(task);
        return task;
    }

    private static long inMillis(long millis) {
        return TimerClock.elapsed() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void entriesFireInDeadlineOrderNeverBeforeTheirDeadline() {
        Timer timer = newTimer();
        long base = inMillis(100);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(7));
        Queue<Integer> fired = new ConcurrentLinkedQueue<>();
        Queue<Long> earliness = new ConcurrentLinkedQueue<>();
        for (int i : order) {
            long deadline = base + i * TimeUnit.MILLISECONDS.toNanos(3) + i; // distinct ticks
            armAt(timer, deadline, () -> {
                earliness.add(deadline - TimerClock.elapsed());
                fired.add(i);
            });
        }

        await().atMost(PROMPTLY).until(() -> fired.size() == 30);
        assertThat(fired).containsExactlyElementsOf(order.stream().sorted().toList());
        assertThat(earliness).allSatisfy(early -> assertThat(early).as("fired early by ns").isLessThanOrEqualTo(0));
        assertThat(heldEntries(timer)).isZero();
    }

    @Test
    void aNearDeadlineWakesATimerSleepingUntilAFarOne() {
        Timer timer = newTimer();
        armAt(timer, inMillis(3_600_000), () -> { });
        await().atMost(PROMPTLY).until(() -> timer.thread().getState() == Thread.State.TIMED_WAITING
                && heldEntries(timer) == 1);

        CountDownLatch fired = new CountDownLatch(1);
        long start = System.nanoTime();
        armAt(timer, inMillis(20), fired::countDown);

        await().atMost(PROMPTLY).until(() -> fired.getCount() == 0);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(20));
    }

    @Test
    void anIdleTimerParksWithoutATimeout() {
        Timer timer = newTimer();
        CountDownLatch fired = new CountDownLatch(1);
        armAt(timer, inMillis(1), fired::countDown);
        await().atMost(PROMPTLY).until(() -> fired.getCount() == 0);

        // Empty: after its short linger it must park indefinitely (WAITING), not poll (TIMED_WAITING) or spin.
        await().atMost(PROMPTLY).until(() -> timer.thread().getState() == Thread.State.WAITING);
        CountDownLatch again = new CountDownLatch(1);
        armAt(timer, inMillis(5), again::countDown);
        await().atMost(PROMPTLY).until(() -> again.getCount() == 0);
    }

    @Test
    void aThrowingActionIsLoggedAndTheTimerGoesOn() {
        Timer timer = newTimer();
        AtomicInteger ran = new AtomicInteger();
        armAt(timer, inMillis(1), () -> {
            ran.incrementAndGet();
            throw new IllegalStateException("boom");
        });
        armAt(timer, inMillis(1), () -> {
            ran.incrementAndGet();
            throw new OutOfMemoryError("simulated");
        });
        CountDownLatch after = new CountDownLatch(1);
        armAt(timer, inMillis(30), after::countDown);

        await().atMost(PROMPTLY).until(() -> after.getCount() == 0);
        assertThat(ran).hasValue(2);
        assertThat(timer.thread().isAlive()).isTrue();
    }

    @Test
    void cancelReturnsTrueOnlyBeforeFiringAndReleasesTheActionAtOnce() {
        Timer timer = newTimer();
        AtomicBoolean ran = new AtomicBoolean();
        Runnable action = () -> ran.set(true);
        Timer.Task task = armAt(timer, inMillis(3_600_000), action);
        WeakReference<Runnable> actionRef = new WeakReference<>(action);
        action = null;
        assertThat(heldEntries(timer)).isOne();

        assertThat(task.cancel()).isTrue();
        assertThat(task.cancel()).isFalse();
        awaitCollected(actionRef); // the entry lets go at once, while the wheel may still hold it
        assertThat(heldEntries(timer)).isZero();

        CountDownLatch fired = new CountDownLatch(1);
        Timer.Task firing = armAt(timer, inMillis(1), fired::countDown);
        await().atMost(PROMPTLY).until(() -> fired.getCount() == 0);
        assertThat(firing.cancel()).isFalse();
        assertThat(ran).isFalse();
    }

    @Test
    void aDurationBeyondTheNanosecondRangeIsHeldAndNeverFires() {
        TimerEntry longest = Timer.schedule(() -> { throw new AssertionError("fired"); },
                Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
        TimerEntry nearly = Timer.schedule(() -> { throw new AssertionError("fired"); },
                Duration.ofNanos(Long.MAX_VALUE));

        assertThat(longest.deadline).isEqualTo(TimerClock.MAX_DEADLINE);
        assertThat(nearly.deadline).isEqualTo(TimerClock.MAX_DEADLINE);
        int held = heldEntries(Timer.SHARED);
        assertThat(held).isGreaterThanOrEqualTo(2);
        assertThat(longest.cancel()).isTrue();
        assertThat(nearly.cancel()).isTrue();
        assertThat(heldEntries(Timer.SHARED)).isEqualTo(held - 2);
    }

    /**
     * Many threads disarm entries while the timer fires them: every entry ends either fired (exactly once) or
     * disarmed by exactly one successful {@code cancel}, never both, and never runs after a successful cancel.
     */
    @Test
    void disarmingRacesFiringFromManyThreads() throws Exception {
        Timer timer = newTimer();
        int entries = 200_000;
        int threads = 8;
        AtomicIntegerArray runs = new AtomicIntegerArray(entries);
        AtomicIntegerArray cancelled = new AtomicIntegerArray(entries);
        AtomicInteger ranAfterCancel = new AtomicInteger();
        Timer.Task[] tasks = new Timer.Task[entries];
        long base = inMillis(2);
        for (int i = 0; i < entries; i++) {
            int index = i;
            // spread over ~20 ms, so that cancels meet entries before, while and after their tick fires
            tasks[i] = armAt(timer, base + (i % 20) * TimerClock.TICK_NANOS + (i % 997), () -> {
                if (cancelled.get(index) != 0) {
                    ranAfterCancel.incrementAndGet();
                }
                runs.incrementAndGet(index);
            });
        }
        CyclicBarrier start = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> cancellers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    // every entry is raced by two threads; each cancel's result is recorded
                    for (int i = first; i < entries; i += threads / 2) {
                        if (random.nextInt(4) == 0) {
                            Thread.onSpinWait();
                        }
                        if (tasks[i].cancel()) {
                            cancelled.incrementAndGet(i);
                        }
                    }
                } catch (Throwable ex) {
                    failure.set(ex);
                }
            });
            thread.start();
            cancellers.add(thread);
        }
        for (Thread thread : cancellers) {
            thread.join(PROMPTLY.toMillis());
        }
        assertThat(failure).hasValue(null);

        await().atMost(PROMPTLY).until(() -> heldEntries(timer) == 0);
        int fired = 0;
        int disarmed = 0;
        for (int i = 0; i < entries; i++) {
            int r = runs.get(i);
            int c = cancelled.get(i);
            assertThat(r + c).as("entry %d: runs %d, successful cancels %d", i, r, c).isEqualTo(1);
            fired += r;
            disarmed += c;
        }
        assertThat(ranAfterCancel).hasValue(0);
        assertThat(fired + disarmed).isEqualTo(entries);
    }

    /** Arming from many threads while the timer fires: nothing is lost, nothing runs twice. */
    @Test
    void concurrentArmingLosesNothing() throws Exception {
        Timer timer = newTimer();
        int threads = 6;
        int perThread = 50_000;
        AtomicIntegerArray runs = new AtomicIntegerArray(threads * perThread);
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Thread> armers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int offset = t * perThread;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
                for (int i = 0; i < perThread; i++) {
                    int index = offset + i;
                    armAt(timer, inMillis(i % 7), () -> runs.incrementAndGet(index));
                }
            });
            thread.start();
            armers.add(thread);
        }
        for (Thread thread : armers) {
            thread.join(PROMPTLY.toMillis());
        }

        await().atMost(PROMPTLY).until(() -> {
            for (int i = 0; i < runs.length(); i++) {
                if (runs.get(i) == 0) {
                    return false;
                }
            }
            return true;
        });
        for (int i = 0; i < runs.length(); i++) {
            assertThat(runs.get(i)).as("entry %d", i).isOne();
        }
        assertThat(heldEntries(timer)).isZero();
    }

    /**
     * Ten million closed 1-hour timeouts: each is disarmed at once and leaves at most a tombstone for about a tick,
     * so the heap stays flat and the timer ends up holding nothing. (Surefire's 512 MB heap could not hold them.)
     * Half are closed at once (usually before the timer has filed them), half stay open in a window of 16,384
     * in-flight timeouts (so the timer has filed them in its wheel and must unlink them when they are closed).
     */
    @Test
    void tenMillionClosedLongTimeoutsLeaveTheHeapFlat() {
        Duration hour = Duration.ofHours(1);
        CancellationSource[] inFlight = new CancellationSource[1 << 14];
        for (int i = 0; i < 200_000; i++) { // warm up, so that JIT, class loading and the window are in the baseline
            closedLongTimeout(inFlight, i, hour);
        }
        int timersBefore = heldEntries(Timer.SHARED);
        long baseline = usedHeapAfterGc();

        for (int i = 0; i < 10_000_000; i++) {
            closedLongTimeout(inFlight, i, hour);
        }

        assertThat(heldEntries(Timer.SHARED)).as("timers held").isEqualTo(timersBefore);
        long growth = usedHeapAfterGc() - baseline;
        assertThat(growth).as("heap growth: %,d bytes", growth).isLessThan(8L * 1024 * 1024);
        for (CancellationSource source : inFlight) {
            source.close();
        }
        assertThat(heldEntries(Timer.SHARED)).as("timers held").isEqualTo(timersBefore - inFlight.length);
    }

    private static void closedLongTimeout(CancellationSource[] inFlight, int i, Duration timeout) {
        CancellationSource source = CancellationSource.withTimeout(timeout);
        if ((i & 1) == 0) {
            source.close();
            return;
        }
        int slot = (i >>> 1) & (inFlight.length - 1);
        if (inFlight[slot] != null) {
            inFlight[slot].close();
        }
        inFlight[slot] = source;
    }

    @Test
    void pendingCountsLiveEntriesAndNotDisarmedOnes() {
        int before = heldEntries(Timer.SHARED);
        CancellationSource a = CancellationSource.withTimeout(Duration.ofHours(1));
        CancellationSource b = CancellationSource.withTimeout(Duration.ofMinutes(5));
        assertThat(heldEntries(Timer.SHARED)).isEqualTo(before + 2);

        a.close();
        assertThat(heldEntries(Timer.SHARED)).isEqualTo(before + 1);
        b.cancel();
        assertThat(heldEntries(Timer.SHARED)).isEqualTo(before);
    }
}
