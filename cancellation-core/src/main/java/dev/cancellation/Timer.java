package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread shared by every deadline ({@link #SHARED}): arming and disarming take no lock, and a
 * disarmed entry is released at once and forgotten by the timer within about a tick. This class is the timer's
 * face to the rest of the library: its time arithmetic, its entries, and the producers' side of the hand-off;
 * {@link TimerLoop} is the thread's side.
 *
 * <h2>How it works</h2>
 * <ul>
 *   <li><b>Arming</b> ({@link #arm}) pushes the entry onto the {@code armed} {@link EntryStacks}, lock-free
 *       multi-producer stacks (one CAS; {@link EntryStacks#STRIPES} of them, picked by thread id, each on its own
 *       cache line, so that producers on different cores do not contend). The timer thread takes each whole
 *       stack at once and files the entries into its {@link TimingWheel} (1 ms ticks), or fires those already
 *       due.</li>
 *   <li><b>Disarming</b> ({@link Entry#cancel()}) is one CAS of the entry's state from {@code PENDING} to
 *       {@code CANCELLED}, after which the entry drops its action (so the token or thread it refers to is free
 *       at once). If the wheel already holds the entry, the canceller also pushes it onto the {@code cancelled}
 *       stacks, and the timer thread unlinks it from its bucket on its next pass, at the next tick at the latest;
 *       an entry disarmed before the timer filed it is simply skipped when it is. Either way what remains for
 *       that short while is the entry itself, a tombstone of about 50 bytes.</li>
 *   <li><b>Firing</b>: the timer thread claims an entry with a CAS from {@code PENDING} to {@code FIRED}, so an
 *       action runs at most once, and never once {@link Entry#cancel()} has returned {@code true}. Actions run on
 *       the timer thread, due entries in deadline order; they are the library's own (mark a token cancelled,
 *       interrupt a thread) and never user code: a deadline whose token has callbacks hands them to
 *       {@link CallbackDispatcher}. An action that throws is logged and the timer goes on. An entry fires no
 *       earlier than its deadline and normally within a tick or two after it.</li>
 *   <li><b>Sleeping</b>: the timer thread parks until the next tick that has work, and a producer unparks it
 *       only if its deadline is earlier than that (see {@link TimerLoop}).</li>
 * </ul>
 *
 * <p>Thread-safety: {@link #arm} and {@link Entry#cancel()} may be called from any thread; the wheel and the
 * {@code prev}/{@code next} links of entries are confined to the timer thread. The hand-over between a canceller
 * and the timer filing the same entry is a Dekker-style handshake on two volatiles: the canceller writes
 * {@code state} then reads {@code slot}, the timer writes {@code slot} then reads {@code state}, so at least one
 * of them sees the other and the entry is removed from the wheel.
 */
final class Timer {

    /** Wheel resolution. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Deadlines are capped here (about 146 years): far enough to mean never, small enough to add to. */
    static final long MAX_DEADLINE = Long.MAX_VALUE / 2;

    /** Time origin: deadlines are nanoseconds since then, so they are small, non-negative and comparable. */
    private static final long ORIGIN = System.nanoTime();

    /** The timer of every deadline and interrupt grace period. */
    static final Timer SHARED = new Timer("cancellation-timer");

    /** Newly armed entries, for the timer thread to file. */
    private final EntryStacks armed = new EntryStacks();

    /** Disarmed entries that the wheel may hold, for the timer thread to unlink. */
    private final EntryStacks cancelled = new EntryStacks();

    private final TimerLoop loop;

    Timer(String name) {
        loop = new TimerLoop(this, armed, cancelled, name);
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

    /** Runs {@code action} on the shared timer thread after {@code delay}, unless the returned entry is cancelled. */
    static Entry schedule(Runnable action, Duration delay) {
        Task task = new Task(SHARED, deadlineAfter(saturatedNanos(delay)), action);
        SHARED.arm(task);
        return task;
    }

    /** Hands a new entry to the timer. Lock-free: one CAS, plus an unpark only if the timer must wake earlier. */
    void arm(Entry entry) {
        if (entry.timer() != this) {
            throw new IllegalArgumentException("Entry belongs to another timer: " + entry.timer());
        }
        if (entry.state != Entry.PENDING) {
            return; // disarmed before it was armed
        }
        int depth = armed.push(entry);
        loop.wakeIfNeeded(entry.deadline, depth);
    }

    /** Called by a canceller once it has disarmed an entry the wheel may hold. */
    private void forget(Entry entry) {
        int depth = cancelled.push(entry);
        loop.wakeIfNeeded(TimerLoop.IDLE, depth);
    }

    Thread thread() {
        return loop.thread();
    }

    @Override
    public String toString() {
        return "Timer[" + thread().getName() + "]";
    }

    // ------------------------------------------------------------- entries

    /**
     * Something to do at a deadline. Subclasses hold the action's references and drop them in
     * {@link #release()}, which runs once the entry is disarmed or has fired.
     */
    abstract static class Entry {

        static final int PENDING = 0;
        static final int FIRED = 1;
        static final int CANCELLED = 2;

        /** {@link #slot} values besides a bucket index. */
        static final int NOT_FILED = -1;
        static final int REMOVED = -2;

        static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Entry.class, "state", int.class);
            } catch (ReflectiveOperationException ex) {
                throw new ExceptionInInitializerError(ex);
            }
        }


        /** Nanoseconds since the timer's origin, at most {@link #MAX_DEADLINE}. */
        final long deadline;

        volatile int state;

        /** Bucket index in the wheel, {@link #NOT_FILED} or {@link #REMOVED}; written by the timer thread only. */
        volatile int slot = NOT_FILED;

        /** Next in {@code armed} until filed; then next in {@code cancelled} once disarmed. */
        Entry link;
        int depth;

        /** Bucket neighbours; timer thread only. */
        Entry prev;
        Entry next;

        Entry(long deadline) {
            this.deadline = Math.min(Math.max(0, deadline), MAX_DEADLINE);
        }

        /** The timer this entry is armed on. */
        abstract Timer timer();

        /** The wheel tick at or after the deadline: an entry never fires early. */
        final long tick() {
            return (deadline + TICK_NANOS - 1) / TICK_NANOS;
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
    }

    /** An entry that runs a {@link Runnable}. */
    static final class Task extends Entry {

        private final Timer timer;
        private Runnable action;

        Task(Timer timer, long deadline, Runnable action) {
            super(deadline);
            this.timer = timer;
            this.action = action;
        }

        @Override
        Timer timer() {
            return timer;
        }

        @Override
        void fire() {
            Runnable toRun = action;
            if (toRun != null) {
                toRun.run();
            }
        }

        @Override
        void release() {
            action = null;
        }
    }
}
