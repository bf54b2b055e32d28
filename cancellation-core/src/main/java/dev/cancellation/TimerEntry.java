package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Something to do at a deadline, on a {@link Timer}. Subclasses hold the action's references and drop them in
 * {@link #release()}, which runs once the entry is disarmed or has fired. An entry knows its deadline on the
 * {@linkplain TimerClock timer's clock}, and converts it to the wall clock only when asked ({@link #instant()}).
 *
 * <p>Thread-safety: {@link #cancel()}, {@link #isPending()} and {@link #instant()} may be called from any thread;
 * the state moves once, from {@code PENDING} to {@code FIRED} (the timer thread claimed it) or {@code CANCELLED},
 * by compare-and-set. {@link #link} belongs to whichever {@link EntryStacks} holds the entry, {@link #prev} and
 * {@link #next} to the timer thread; {@link #slot} is written by the timer thread and read by cancellers (see
 * {@link Timer} for that handshake).
 */
abstract class TimerEntry {

    static final int PENDING = 0;
    static final int FIRED = 1;
    static final int CANCELLED = 2;

    /** {@link #slot} values besides a bucket index. */
    static final int NOT_FILED = -1;
    static final int REMOVED = -2;

    static final VarHandle STATE;
    private static final VarHandle AT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(TimerEntry.class, "state", int.class);
            AT = lookup.findVarHandle(TimerEntry.class, "at", Instant.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Nanoseconds since the timer's origin, at most {@link TimerClock#MAX_DEADLINE}. */
    final long deadline;

    volatile int state;

    /** Bucket index in the wheel, {@link #NOT_FILED} or {@link #REMOVED}; written by the timer thread only. */
    volatile int slot = NOT_FILED;

    /** Next in {@code armed} until filed; then next in {@code cancelled} once disarmed. */
    @Nullable TimerEntry link;
    int depth;

    /** Bucket neighbours; timer thread only. */
    @Nullable TimerEntry prev;
    @Nullable TimerEntry next;

    /** The wall-clock deadline: given, or computed from {@link #deadline} on the first {@link #instant()}. */
    private volatile @Nullable Instant at;

    TimerEntry(long deadline) {
        this.deadline = Math.min(Math.max(0, deadline), TimerClock.MAX_DEADLINE);
    }

    /**
     * An entry whose wall-clock deadline may be known exactly ({@code at}: an absolute one, or one beyond the
     * clock's cap), else {@code null}, computed when first asked for.
     */
    TimerEntry(long deadline, @Nullable Instant at) {
        this(deadline);
        if (at != null) { // a volatile write costs a fence: only when there is something to write
            this.at = at;
        }
    }

    /**
     * The timer this entry is armed on, which a disarmed entry asks to unlink it from its wheel; {@code null} for
     * an entry filed into a bare wheel (as in unit tests).
     */
    abstract @Nullable Timer timer();

    /** The wheel tick at or after the deadline: an entry never fires early. */
    final long tick() {
        return (deadline + TimerClock.TICK_NANOS - 1) / TimerClock.TICK_NANOS;
    }

    /** Runs the action, on the timer thread. */
    abstract void fire();

    /** Drops the references the action holds. */
    abstract void release();

    /**
     * Disarms this entry: returns {@code true} if it had neither fired nor been disarmed, in which case its
     * action will never run; {@code false} otherwise (it has run, is running, or was already disarmed).
     * Lock-free; never blocks on a running action.
     */
    final boolean cancel() {
        if (!STATE.compareAndSet(this, PENDING, CANCELLED)) {
            return false;
        }
        release();
        Timer timer = timer();
        if (slot >= 0 && timer != null) {
            timer.forget(this); // the wheel holds it: have it unlinked at the next tick
        }
        return true;
    }

    final boolean isPending() {
        return state == PENDING;
    }

    /** The wall-clock deadline, computed once; racing first calls agree on the first value computed. */
    final Instant instant() {
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
            long before = TimerClock.elapsed();
            Instant now = Instant.now();
            long after = TimerClock.elapsed();
            if (after - before < width) {
                width = after - before;
                wall = now;
                at = before + width / 2;
            }
        }
        return wall.plusNanos(monotonicDeadline - at);
    }
}
