package dev.cancellation;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The timer entry of a source's own deadline ({@link CancellationSource#cancelAfter} /
 * {@link CancellationSource#cancelAt}): cancels the token with a {@code TIMEOUT} reason when it fires. The
 * subtree is marked cancelled on the timer thread; its callbacks, if it has any, run on
 * {@link CallbackDispatcher}'s threads, so that no user code delays other deadlines.
 *
 * <p>Arming it costs only this object: the reason (its message, its {@code Instant}) is built when the entry
 * fires, and the wall-clock deadline reported by {@link CancellationToken#deadline()} is computed from the
 * monotonic deadline the first time someone asks for it ({@link TimerEntry#instant()}), then kept, so every later
 * call returns the same instant. The token keeps this entry after it is disarmed (closed source, cancelled
 * token), for that value; the entry then no longer refers to the token.
 *
 * <p>Thread-safety: {@link #fire()} runs on the timer thread only after it won the entry's state; {@link #release()}
 * runs on whichever thread won it.
 */
final class Deadline extends TimerEntry {

    private @Nullable CancellationToken token;

    /** The timeout, for the message; {@code null} for an absolute deadline (its instant is then given). */
    private final @Nullable Duration delay;

    /** A deadline {@code delay} from now. */
    Deadline(CancellationToken token, Duration delay) {
        this(token, delay, System.nanoTime());
    }

    /** A deadline {@code delay} after {@code startNanos}, a {@link System#nanoTime()} reading. */
    Deadline(CancellationToken token, Duration delay, long startNanos) {
        this(token, delay, TimerClock.saturatedNanos(delay), startNanos);
    }

    private Deadline(CancellationToken token, Duration delay, long delayNanos, long startNanos) {
        // ~146 years or more: the clock saturates, so keep the exact instant
        super(TimerClock.deadlineAfter(delayNanos, startNanos),
                (delayNanos >= TimerClock.MAX_DEADLINE) ? plusSaturated(Instant.now(), delay) : null);
        this.token = token;
        this.delay = delay;
    }

    /** The deadline {@code at}, which is {@code delay} from now (zero if it has passed). */
    Deadline(CancellationToken token, Instant at, Duration delay) {
        super(TimerClock.deadlineAfter(TimerClock.saturatedNanos(delay)), at);
        this.token = token;
        this.delay = null;
    }

    private static Instant plusSaturated(Instant start, Duration delay) {
        try {
            return start.plus(delay);
        } catch (DateTimeException | ArithmeticException tooLate) {
            return Instant.MAX;
        }
    }

    /** Deadlines all run on the shared timer: no field for it. */
    @Override
    Timer timer() {
        return Timer.SHARED;
    }

    @Override
    void fire() {
        CancellationToken target = token;
        if (target != null) {
            target.cancel(reason(), true); // callbacks (user code) go to the dispatcher, never the timer thread
        }
    }

    @Override
    void release() {
        token = null;
    }

    CancellationReason reason() {
        String message = (delay != null)
                ? "timed out after " + CancellationReason.format(delay)
                : "deadline " + instant() + " exceeded";
        return new CancellationReason(CancellationReason.Kind.TIMEOUT, message, Instant.now(), "deadline");
    }
}
