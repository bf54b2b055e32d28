package dev.cancellation;

import static dev.cancellation.Internals.callbackJobs;
import static dev.cancellation.Internals.heldEntries;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The timer thread survives what user code and bad luck can do to it: interrupts (cleared, no busy loop), a failing
 * cycle (no entry lost), and callbacks that block (they run elsewhere, so other deadlines stay on time).
 */
class TimerHardeningTests {

    private Timer timer;

    private static long inMillis(long millis) {
        return TimerClock.elapsed() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** CPU time the thread uses while the caller waits {@code millis}. */
    private static long cpuMillisDuring(Thread thread, long millis) throws InterruptedException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        @SuppressWarnings("deprecation")
        long id = thread.getId();
        long before = threads.getThreadCpuTime(id);
        Thread.sleep(millis); // the measured interval itself, not synchronisation
        return TimeUnit.NANOSECONDS.toMillis(threads.getThreadCpuTime(id) - before);
    }

    private void assertStillFiresOnTime() {
        long deadline = inMillis(30);
        AtomicLong firedAt = new AtomicLong(-1);
        timer.arm(new Timer.Task(timer, deadline, () -> firedAt.set(TimerClock.elapsed())));
        await().atMost(PROMPTLY).until(() -> firedAt.get() >= 0);
        assertThat(firedAt.get()).as("never early").isGreaterThanOrEqualTo(deadline);
    }

    @Test
    void anActionThatInterruptsTheTimerThreadDoesNotMakeItSpin() throws InterruptedException {
        timer = new Timer("test-timer");
        CountDownLatch fired = new CountDownLatch(1);
        timer.arm(new Timer.Task(timer, inMillis(5), () -> {
            Thread.currentThread().interrupt();
            fired.countDown();
        }));
        assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(cpuMillisDuring(timer.thread(), 500)).as("CPU ms of the idle timer thread in 500 ms")
                .isLessThan(50);
        assertThat(timer.thread().isInterrupted()).isFalse();
        assertStillFiresOnTime();
    }

    @Test
    void anInterruptFromOutsideIsClearedAndSurvived() throws InterruptedException {
        timer = new Timer("test-timer");
        heldEntries(timer); // the thread is running
        timer.thread().interrupt();

        assertThat(cpuMillisDuring(timer.thread(), 500)).as("CPU ms of the idle timer thread in 500 ms")
                .isLessThan(50);
        assertStillFiresOnTime();
    }

    @Test
    void aFailingCycleLosesNoEntryAlreadyTakenOffTheWheel() {
        timer = new Timer("test-timer");
        // One tick, the failing entry first in deadline order: the other two are taken off the wheel with it.
        long deadline = (inMillis(20) / TimerClock.TICK_NANOS) * TimerClock.TICK_NANOS + 100;
        Queue<String> fired = new ConcurrentLinkedQueue<>();
        AtomicBoolean failOnce = new AtomicBoolean(true);
        // Its release() throws out of the timer's firing loop (an Error, as an OutOfMemoryError would).
        TimerEntry failing = new TimerEntry(deadline) {
            @Override
            Timer timer() {
                return timer;
            }

            @Override
            void fire() {
                fired.add("failing");
            }

            @Override
            void release() {
                if (failOnce.getAndSet(false)) {
                    throw new AssertionError("simulated failure of the timer thread");
                }
            }
        };
        timer.arm(failing);
        timer.arm(new Timer.Task(timer, deadline + 1, () -> fired.add("second")));
        timer.arm(new Timer.Task(timer, deadline + 2, () -> fired.add("third")));

        await().atMost(PROMPTLY).until(() -> fired.size() == 3);
        assertThat(fired).containsExactlyInAnyOrder("failing", "second", "third");
        assertThat(heldEntries(timer)).isZero();
        assertThat(timer.thread().isAlive()).isTrue();
    }

    @Test
    void aTimeoutWithoutCallbacksIsCancelledInlineAndOneWithCallbacksIsHandedOff() {
        int count = 200;
        java.util.List<CancellationSource> quiet = new java.util.ArrayList<>();
        long before = callbackJobs();
        for (int i = 0; i < count; i++) {
            quiet.add(CancellationSource.withTimeout(Duration.ofMillis(1)));
        }
        await().atMost(PROMPTLY).until(() -> quiet.stream().allMatch(CancellationSource::isCancelled));
        assertThat(callbackJobs() - before).as("hand-offs for timeouts nobody listens to")
                .isLessThan(count);

        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        long beforeObserved = callbackJobs();
        java.util.List<CancellationSource> observed = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            CancellationSource source = CancellationSource.create();
            source.token().onCancel(reason -> ran.incrementAndGet());
            source.cancelAfter(Duration.ofMillis(1));
            observed.add(source);
        }
        await().atMost(PROMPTLY).until(() -> ran.get() == count);
        assertThat(callbackJobs() - beforeObserved).isGreaterThanOrEqualTo(count);
        quiet.forEach(CancellationSource::close);
        observed.forEach(CancellationSource::close);
    }

    @Test
    void aBlockingTimeoutCallbackDelaysNoOtherDeadline() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocking = new CountDownLatch(1);
        AtomicReference<String> blockedOn = new AtomicReference<>();
        try (CancellationSource slow = CancellationSource.create();
                CancellationSource other = CancellationSource.create()) {
            slow.token().onCancel(reason -> {
                blockedOn.set(Thread.currentThread().getName());
                blocking.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS); // a listener that blocks for 10 s
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            });
            AtomicLong otherFiredAt = new AtomicLong(-1);
            AtomicReference<String> otherThread = new AtomicReference<>();
            other.token().onCancel(reason -> {
                otherThread.set(Thread.currentThread().getName());
                otherFiredAt.set(System.nanoTime());
            });
            slow.cancelAfter(Duration.ofMillis(10));
            assertThat(blocking.await(10, TimeUnit.SECONDS)).isTrue();
            long armedAt = System.nanoTime();
            other.cancelAfter(Duration.ofMillis(20));

            await().atMost(Duration.ofSeconds(5)).until(() -> otherFiredAt.get() >= 0);
            assertThat(release.getCount()).as("fired while the first callback still blocks").isEqualTo(1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(otherFiredAt.get() - armedAt))
                    .as("ms from arming to the callback of a 20 ms deadline").isLessThan(2_000);
            assertThat(List.of(blockedOn.get(), otherThread.get()))
                    .allSatisfy(name -> assertThat(name).startsWith("cancellation-callback-"));
            // the deadline itself is visible at once, on the timer thread, even while callbacks wait
            assertThat(slow.token().isCancelled()).isTrue();
        } finally {
            release.countDown();
        }
    }
}
