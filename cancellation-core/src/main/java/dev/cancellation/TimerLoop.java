package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The thread of one {@link Timer}: takes what producers pushed onto the timer's {@link EntryStacks}, files it into
 * its {@link TimingWheel}, fires what is due, and sleeps until the next tick that has work.
 *
 * <ul>
 *   <li><b>Filing and firing</b>: each cycle takes every stripe of the {@code armed} stacks at once and files the
 *       entries into the wheel (1 ms ticks), or among the due ones if they already are; it takes the
 *       {@code cancelled} stacks and unlinks those entries from their buckets. Due entries fire in deadline order,
 *       each claimed with a CAS from {@code PENDING} to {@code FIRED}. An action that throws is logged and the
 *       loop goes on; if a cycle itself fails, the entries it had already taken off the wheel stay queued and
 *       fire on the next cycle. An interrupt that reaches the thread is cleared.</li>
 *   <li><b>Sleeping</b>: the thread parks until the next tick that has work (indefinitely when it holds nothing)
 *       and publishes that time in {@link #wakeAt}. A producer reads it ({@link #wakeIfNeeded}, one volatile read)
 *       and unparks the thread only if its deadline is earlier, or, to bound tombstones, when its stripe has grown
 *       by another {@value #WAKE_BATCH} entries since the thread last took it. While entries keep arriving, the
 *       thread also wakes every {@link #LINGER_NANOS} to take them, so a steady stream of far deadlines costs no
 *       unparks.</li>
 * </ul>
 *
 * <p>Thread-safety: {@link #wakeIfNeeded} and {@link #thread()} may be called from any thread; everything else,
 * the wheel and the {@code prev}/{@code next} links of entries are confined to the timer thread.
 */
final class TimerLoop {

    /**
     * Producers unpark a sleeping timer when their stack has grown by this many entries since it was taken: a
     * stripe then holds at most about 460 KB of entries (56 B each), and one unpark (microseconds on a VM) is
     * shared by this many calls ({@code SpringAdviceBenchmark.cancellable_timeout}: unparking took 8% of the
     * call at 1,024, 1.4% at 8,192).
     */
    static final int WAKE_BATCH = 8192;

    /** While entries keep arriving, the timer takes them at least this often. */
    static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(16);

    /** {@link #wakeAt} while the thread is running, or is about to. */
    private static final long AWAKE = Long.MIN_VALUE;

    /** {@link #wakeAt} while the thread is parked with no timeout; also the deadline of a wake-up for no entry. */
    static final long IDLE = Long.MAX_VALUE;

    private static final Comparator<TimerEntry> BY_DEADLINE = Comparator.comparingLong(e -> e.deadline);

    private static final VarHandle WAKE_AT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WAKE_AT = lookup.findVarHandle(TimerLoop.class, "wakeAt", long.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    // ------------------------------------------------------------- shared with producers

    /** The timer this loop serves, as the object its thread parks on (what thread dumps show); only that. */
    private final Object blocker;

    /** Newly armed entries. */
    private final EntryStacks armed;

    /** Disarmed entries that the wheel may hold. */
    private final EntryStacks cancelled;

    /** When the thread will wake by itself (nanos since the timer's origin), {@link #IDLE}, or {@link #AWAKE}. */
    private volatile long wakeAt = AWAKE;

    // ------------------------------------------------------------- timer thread only

    private final TimingWheel wheel = new TimingWheel(TimerClock.elapsed() / TimerClock.TICK_NANOS);
    private final ArrayList<@Nullable TimerEntry> due = new ArrayList<>(); // a fired entry is nulled out
    private final Thread thread;

    /**
     * Starts the daemon thread {@code name}, which serves a timer (its {@code blocker} when parked) from
     * {@code armed} and {@code cancelled}.
     */
    TimerLoop(Object blocker, EntryStacks armed, EntryStacks cancelled, String name) {
        this.blocker = blocker;
        this.armed = armed;
        this.cancelled = cancelled;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Called by a producer after a push that left its stripe {@code depth} deep: unparks the thread if it sleeps
     * past {@code deadline} ({@link #IDLE} for a push that has no deadline) or the stripe has filled another batch.
     */
    void wakeIfNeeded(long deadline, int depth) {
        boolean batchFull = (depth & (WAKE_BATCH - 1)) == 0;
        while (true) {
            long sleepsUntil = wakeAt;
            if (sleepsUntil == AWAKE || (deadline >= sleepsUntil && !batchFull)) {
                return;
            }
            if (WAKE_AT.compareAndSet(this, sleepsUntil, AWAKE)) {
                LockSupport.unpark(thread);
                return;
            }
        }
    }

    Thread thread() {
        return thread;
    }

    // ------------------------------------------------------------- timer thread

    private void run() {
        while (true) {
            try {
                cycle();
            } catch (Throwable ex) { // a bug or an OutOfMemoryError: log it and keep the timer alive
                // Entries already taken off the wheel stay in `due` (fired ones were nulled out): the next
                // cycle fires them, so a failure loses none.
                due.removeIf(Objects::isNull);
                wakeAt = AWAKE;
                Thread.interrupted();
                try {
                    CancellationLog.LOGGER.log(System.Logger.Level.ERROR, "Timer thread failed; continuing", ex);
                } catch (Throwable logFailure) {
                    // nothing left to report it to; the timer must go on
                }
                LockSupport.parkNanos(blocker, TimerClock.TICK_NANOS);
            }
        }
    }

    private void cycle() {
        boolean active = takeArmed();
        takeCancelled();
        long now = TimerClock.elapsed();
        wheel.advance(now / TimerClock.TICK_NANOS, due);
        fireDue();

        long plan = plan(active, TimerClock.elapsed());
        wakeAt = plan;
        // Producers that pushed before the write above saw AWAKE and did not wake us: look at what they left.
        if (mustRunAgain(plan)) {
            wakeAt = AWAKE;
            return;
        }
        // An interrupt (an action's, or anyone's) would make every park return at once: clear it, never spin.
        Thread.interrupted();
        if (plan == IDLE) {
            LockSupport.park(blocker);
        } else {
            long wait = plan - TimerClock.elapsed();
            if (wait > 0) {
                LockSupport.parkNanos(blocker, wait);
            }
        }
        wakeAt = AWAKE;
    }

    /** Files newly armed entries; the already due go to {@link #due}, in deadline order. Returns whether any came. */
    private boolean takeArmed() {
        boolean any = false;
        for (int stripe = 0; stripe < EntryStacks.STRIPES; stripe++) {
            TimerEntry stack = armed.take(stripe);
            if (stack != null) {
                any = true;
                file(stack);
            }
        }
        if (due.size() > 1) {
            due.sort(BY_DEADLINE);
        }
        return any;
    }

    private void file(TimerEntry stack) {
        TimerEntry oldest = null; // reverse into arrival order, so that equal deadlines fire first come, first served
        while (stack != null) {
            TimerEntry following = stack.link;
            stack.link = oldest;
            oldest = stack;
            stack = following;
        }
        for (TimerEntry entry = oldest; entry != null; ) {
            TimerEntry following = entry.link; // read before filing: once filed, a canceller may reuse the link
            entry.link = null;
            if (entry.state == TimerEntry.PENDING) {
                if (!wheel.add(entry)) {
                    due.add(entry);
                } else if (entry.state != TimerEntry.PENDING) {
                    wheel.remove(entry); // disarmed while we filed it; its canceller may not have seen the slot
                }
            }
            entry = following;
        }
    }

    private void takeCancelled() {
        for (int stripe = 0; stripe < EntryStacks.STRIPES; stripe++) {
            TimerEntry entry = cancelled.take(stripe);
            while (entry != null) {
                TimerEntry following = entry.link;
                entry.link = null;
                wheel.remove(entry);
                entry = following;
            }
        }
    }

    private void fireDue() {
        if (due.isEmpty()) {
            return;
        }
        for (int i = 0; i < due.size(); i++) {
            TimerEntry entry = due.get(i);
            due.set(i, null);
            if (TimerEntry.STATE.compareAndSet(entry, TimerEntry.PENDING, TimerEntry.FIRED)) {
                try {
                    entry.fire();
                } catch (Throwable ex) {
                    CancellationLog.LOGGER.log(System.Logger.Level.ERROR, "Timer action failed", ex);
                } finally {
                    Thread.interrupted(); // an action must not leave the timer thread interrupted
                    entry.release();
                }
            }
        }
        due.clear();
    }

    private long plan(boolean active, long now) {
        long next = wheel.nextEventTick();
        long plan = (next == TimingWheel.NONE) ? IDLE : next * TimerClock.TICK_NANOS;
        if (active || !armed.isEmpty()) {
            plan = Math.min(plan, now + LINGER_NANOS);
        }
        if (!cancelled.isEmpty()) {
            plan = Math.min(plan, nextTickStart(now));
        }
        return plan;
    }

    private boolean mustRunAgain(long plan) {
        long now = TimerClock.elapsed();
        for (int stripe = 0; stripe < EntryStacks.STRIPES; stripe++) {
            TimerEntry head = armed.peek(stripe);
            if (head == null) {
                continue;
            }
            if (plan > now + LINGER_NANOS) {
                return true; // they came after the plan was made
            }
            int seen = 0;
            for (TimerEntry entry = head; entry != null; entry = entry.link) {
                if (entry.deadline < plan || ++seen > WAKE_BATCH) {
                    return true;
                }
            }
        }
        return plan > nextTickStart(now) && !cancelled.isEmpty();
    }

    private static long nextTickStart(long now) {
        return (now / TimerClock.TICK_NANOS + 1) * TimerClock.TICK_NANOS;
    }
}
