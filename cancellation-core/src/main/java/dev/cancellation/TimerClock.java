package dev.cancellation;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The timer's time: deadlines are nanoseconds since one origin, read from {@link System#nanoTime()}, so they are
 * small, non-negative and comparable, and capped at {@link #MAX_DEADLINE} so that adding to them cannot
 * overflow; the {@link TimingWheel} counts them in ticks of {@link #TICK_NANOS}.
 *
 * <p>Thread-safety: constants and pure functions of the clock, callable from any thread.
 */
final class TimerClock {

    /** Wheel resolution. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Deadlines are capped here (about 146 years): far enough to mean never, small enough to add to. */
    static final long MAX_DEADLINE = Long.MAX_VALUE / 2;

    /** Time origin: deadlines are nanoseconds since then. */
    private static final long ORIGIN = System.nanoTime();

    private TimerClock() {
    }

    /** Nanoseconds since {@link #ORIGIN}. */
    static long elapsed() {
        return System.nanoTime() - ORIGIN;
    }

    /** The deadline, in {@link #elapsed()} terms, {@code delayNanos} from now (saturated). */
    static long deadlineAfter(long delayNanos) {
        return deadlineAfter(delayNanos, System.nanoTime());
    }

    /** Like {@link #deadlineAfter(long)}, from a {@link System#nanoTime()} reading the caller took already. */
    static long deadlineAfter(long delayNanos, long nanoTimeNow) {
        long now = nanoTimeNow - ORIGIN;
        return (delayNanos >= MAX_DEADLINE - now) ? MAX_DEADLINE : now + Math.max(0, delayNanos);
    }

    /** {@code delay} in nanoseconds, saturated at {@link #MAX_DEADLINE} (also on overflow). */
    static long saturatedNanos(Duration delay) {
        if (delay.getSeconds() >= MAX_DEADLINE / 1_000_000_000L) {
            return MAX_DEADLINE;
        }
        return Math.max(0, delay.toNanos());
    }
}
