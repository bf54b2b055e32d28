package dev.cancellation;

import java.time.Duration;
import java.time.Instant;

/**
 * The timer entry of a source's own deadline ({@link CancellationSource#cancelAfter} /
 * {@link CancellationSource#cancelAt}): cancels the token with a {@code TIMEOUT} reason when it fires. The
 * subtree is marked cancelled on the timer thread; its callbacks, if it has any, run on
 * {@link CallbackDispatcher}'s threads, so that no user code delays other deadlines.
 *
 * <p>Arming it costs only this object: the reason (its message, its {@code Instant}) is built when the entry
 * fires, and the wall-clock deadline reported by {@link CancellationToken#deadline()} is computed from the
 * monotonic deadline the first time someone asks for it, then kept, so every later call returns the same
 * instant. The token keeps this entry after it is disarmed (closed source, cancelled token), for that value;
 * the entry then no longer refers to the token.
 *
 * <p>Thread-safety: {@link #fire()} runs on the timer thread only after it won the entry's state; {@link #release()}
 * runs on whichever thread won it; {@link #instant()} may race with itself and the first computed value wins.
 */
final class Deadline extends Timer.Entry {

    private CancellationToken token;

    /** The timeout, for the message, or {@code null} for an absolute deadline ({@link #at} is then given). */
    private final Duration delay;

    private volatile Instant at;

    /** A deadline {@code delay} from now. */
    Deadline(CancellationToken token, Duration delay) {
        this(token, delay, System.nanoTime());
    }

    /** A deadline {@code delay} after {@code startNanos}, a {@link System#nanoTime()} reading. */
    Deadline(CancellationToken token, Duration delay, long startNanos) {
        this(token, delay, Timer.saturatedNanos(delay), startNanos);
    }

    private Deadline(CancellationToken token, Duration delay, long delayNanos, long startNanos) {
        super(Timer.deadlineAfter(delayNanos, startNanos));
        this.token = token;
        this.delay = delay;
        if (delayNanos >= Timer.MAX_DEADLINE) {
            at = CancellationSource.plusSaturated(Instant.now(), delay); // ~146 years or more: keep the exact value
        }
    }

    /** The deadline {@code at}, which is {@code delay} from now (zero if it has passed). */
    Deadline(CancellationToken token, Instant at, Duration delay) {
        super(Timer.deadlineAfter(Timer.saturatedNanos(delay)));
        this.token = token;
        this.delay = null;
        this.at = at;
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
                : "deadline " + at + " exceeded";
        return new CancellationReason(CancellationReason.Kind.TIMEOUT, message, Instant.now(), "deadline");
    }

    /** The wall-clock deadline, computed once. */
    Instant instant() {
        Instant known = at;
        if (known != null) {
            return known;
        }
        Instant computed = toWallClock(deadline);
        Object witness = AT.compareAndExchange(this, null, computed);
        return (witness == null) ? computed : (Instant) witness;
    }

    /**
     * Converts a monotonic deadline to the wall clock: reads the wall clock between two monotonic reads and uses
     * their midpoint, retrying a few times if a preemption widened the bracket, so that the error is a few dozen
     * nanoseconds rather than a time slice.
     */
    private static Instant toWallClock(long monotonicDeadline) {
        Instant wall = null;
        long at = 0;
        long width = Long.MAX_VALUE;
        for (int attempt = 0; attempt < 8 && width > 1_000; attempt++) {
            long before = Timer.elapsed();
            Instant now = Instant.now();
            long after = Timer.elapsed();
            if (after - before < width) {
                width = after - before;
                wall = now;
                at = before + width / 2;
            }
        }
        return wall.plusNanos(monotonicDeadline - at);
    }

    private static final java.lang.invoke.VarHandle AT;

    static {
        try {
            AT = java.lang.invoke.MethodHandles.lookup().findVarHandle(Deadline.class, "at", Instant.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }
}
