package dev.cancellation;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The one timer thread shared by every deadline ({@link #SHARED}): arming and disarming take no lock, and a
 * disarmed entry is released at once and forgotten by the timer within about a tick. This class is the timer's
 * face to the rest of the library, the producers' side of the hand-off; {@link TimerLoop} is the thread's side,
 * {@link TimerEntry} what is handed over, {@link TimerClock} the time both count in. It knows nothing of tokens:
 * an entry's action is whatever its subclass does ({@link Deadline} cancels a token, {@link Task} runs a
 * {@link Runnable}).
 *
 * <h2>How it works</h2>
 * <ul>
 *   <li><b>Arming</b> ({@link #arm}) pushes the entry onto the {@code armed} {@link EntryStacks}, lock-free
 *       multi-producer stacks (one CAS; {@link EntryStacks#STRIPES} of them, picked by thread id, each on its own
 *       cache line, so that producers on different cores do not contend). The timer thread takes each whole
 *       stack at once and files the entries into its {@link TimingWheel} (1 ms ticks), or fires those already
 *       due.</li>
 *   <li><b>Disarming</b> ({@link TimerEntry#cancel()}) is one CAS of the entry's state from {@code PENDING} to
 *       {@code CANCELLED}, after which the entry drops its action (so the token or thread it refers to is free
 *       at once). If the wheel already holds the entry, the canceller also pushes it onto the {@code cancelled}
 *       stacks, and the timer thread unlinks it from its bucket on its next pass, at the next tick at the latest;
 *       an entry disarmed before the timer filed it is simply skipped when it is. Either way what remains for
 *       that short while is the entry itself, a tombstone of about 50 bytes.</li>
 *   <li><b>Firing</b>: the timer thread claims an entry with a CAS from {@code PENDING} to {@code FIRED}, so an
 *       action runs at most once, and never once {@link TimerEntry#cancel()} has returned {@code true}. Actions run on
 *       the timer thread, due entries in deadline order; they are the library's own (mark a token cancelled,
 *       interrupt a thread) and never user code: a deadline whose token has callbacks hands them to
 *       {@link CallbackDispatcher}. An action that throws is logged and the timer goes on. An entry fires no
 *       earlier than its deadline and normally within a tick or two after it.</li>
 *   <li><b>Sleeping</b>: the timer thread parks until the next tick that has work, and a producer unparks it
 *       only if its deadline is earlier than that (see {@link TimerLoop}).</li>
 * </ul>
 *
 * <p>Thread-safety: {@link #arm} and {@link TimerEntry#cancel()} may be called from any thread; the wheel and the
 * {@code prev}/{@code next} links of entries are confined to the timer thread. The hand-over between a canceller
 * and the timer filing the same entry is a Dekker-style handshake on two volatiles: the canceller writes
 * {@code state} then reads {@code slot}, the timer writes {@code slot} then reads {@code state}, so at least one
 * of them sees the other and the entry is removed from the wheel.
 */
final class Timer {

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

    /** Runs {@code action} on the shared timer thread after {@code delay}, unless the returned entry is cancelled. */
    static TimerEntry schedule(Runnable action, Duration delay) {
        Task task = new Task(SHARED, TimerClock.deadlineAfter(TimerClock.saturatedNanos(delay)), action);
        SHARED.arm(task);
        return task;
    }

    /** Hands a new entry to the timer. Lock-free: one CAS, plus an unpark only if the timer must wake earlier. */
    void arm(TimerEntry entry) {
        if (entry.timer() != this) {
            throw new IllegalArgumentException("Entry belongs to another timer: " + entry.timer());
        }
        if (entry.state != TimerEntry.PENDING) {
            return; // disarmed before it was armed
        }
        int depth = armed.push(entry);
        loop.wakeIfNeeded(entry.deadline, depth);
    }

    /** Called by a canceller once it has disarmed an entry the wheel may hold. */
    void forget(TimerEntry entry) {
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

    /** An entry that runs a {@link Runnable}. */
    static final class Task extends TimerEntry {

        private final @Nullable Timer timer;
        private @Nullable Runnable action;

        Task(@Nullable Timer timer, long deadline, Runnable action) {
            super(deadline);
            this.timer = timer;
            this.action = action;
        }

        @Override
        @Nullable Timer timer() {
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
