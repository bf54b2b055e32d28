package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The one timer thread shared by every deadline ({@link #SHARED}): arming and disarming take no lock, and a
 * disarmed entry is released at once and forgotten by the timer within about a tick.
 *
 * <h2>How it works</h2>
 * <ul>
 *   <li><b>Arming</b> ({@link #arm}) pushes the entry onto {@link #armed}, lock-free multi-producer stacks (one
 *       CAS; {@link #STRIPES} of them, picked by thread id, each on its own cache line, so that producers on
 *       different cores do not contend). The timer thread takes each whole stack at once and files the entries into its {@link TimingWheel}
 *       (1 ms ticks), or fires those already due.</li>
 *   <li><b>Disarming</b> ({@link Entry#cancel()}) is one CAS of the entry's state from {@code PENDING} to
 *       {@code CANCELLED}, after which the entry drops its action (so the token or thread it refers to is free
 *       at once). If the wheel already holds the entry, the canceller also pushes it onto {@link #cancelled},
 *       and the timer thread unlinks it from its bucket on its next pass, at the next tick at the latest; an
 *       entry disarmed before the timer filed it is simply skipped when it is. Either way what remains for that
 *       short while is the entry itself, a tombstone of about 50 bytes.</li>
 *   <li><b>Firing</b>: the timer thread claims an entry with a CAS from {@code PENDING} to {@code FIRED}, so an
 *       action runs at most once, and never once {@link Entry#cancel()} has returned {@code true}. Actions run on
 *       the timer thread, due entries in deadline order; they are the library's own (mark a token cancelled,
 *       interrupt a thread) and never user code: a deadline whose token has callbacks hands them to
 *       {@link CallbackDispatcher}. An action that throws is logged and the timer goes on; an interrupt that
 *       reaches the timer thread is cleared, and if a cycle itself fails, the entries it had already taken off
 *       the wheel stay queued and fire on the next cycle. An entry fires no earlier than its deadline and
 *       normally within a tick or two after it.</li>
 *   <li><b>Sleeping</b>: the timer thread parks until the next tick that has work (indefinitely when it holds
 *       nothing) and publishes that time in {@link #wakeAt}. A producer reads it (one volatile read) and unparks
 *       the timer only if its deadline is earlier, or, to bound tombstones, when its stripe has grown by another
 *       {@value #WAKE_BATCH} entries since the timer last took it. While entries keep arriving, the timer also
 *       wakes every {@link #LINGER_NANOS} to take them, so a steady stream of far deadlines costs no unparks.</li>
 * </ul>
 *
 * <p>Thread-safety: {@link #arm}, {@link Entry#cancel()} and {@link #pending()} may be called from any thread;
 * the wheel and the {@code prev}/{@code next} links of entries are confined to the timer thread. The hand-over
 * between a canceller and the timer filing the same entry is a Dekker-style handshake on two volatiles: the
 * canceller writes {@code state} then reads {@code slot}, the timer writes {@code slot} then reads
 * {@code state}, so at least one of them sees the other and the entry is removed from the wheel.
 */
final class Timer {

    /** Wheel resolution. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Deadlines are capped here (about 146 years): far enough to mean never, small enough to add to. */
    static final long MAX_DEADLINE = Long.MAX_VALUE / 2;

    /** Producers unpark a sleeping timer when their stack has grown by this many entries since it was taken. */
    static final int WAKE_BATCH = 1024;

    /** While entries keep arriving, the timer takes them at least this often. */
    static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(16);

    /** Time origin: deadlines are nanoseconds since then, so they are small, non-negative and comparable. */
    private static final long ORIGIN = System.nanoTime();

    private static final long AWAKE = Long.MIN_VALUE;
    private static final long IDLE = Long.MAX_VALUE;

    private static final Comparator<Entry> BY_DEADLINE = Comparator.comparingLong(e -> e.deadline);

    /**
     * Producers push onto one of this many stacks (by thread id), so that threads on different cores do not
     * contend for one cache line: a power of two, about twice the processors, at most 64.
     */
    static final int STRIPES = Math.min(64,
            Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors()) * 2 - 1) << 1);

    /** Array slots between two stack heads: 128 bytes with compressed references, so no two share a cache line. */
    private static final int SPACING = 32;

    private static final VarHandle HEADS = MethodHandles.arrayElementVarHandle(Entry[].class);
    private static final VarHandle WAKE_AT;
    private static final VarHandle REQUESTED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WAKE_AT = lookup.findVarHandle(Timer.class, "wakeAt", long.class);
            REQUESTED = lookup.findVarHandle(Timer.class, "requested", long.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The timer of every deadline and interrupt grace period. */
    static final Timer SHARED = new Timer("cancellation-timer");

    // ------------------------------------------------------------- shared with producers

    /**
     * Stack heads of newly armed entries, newest first, linked through {@link Entry#link}: stripe {@code i} at
     * index {@code (i + 1) * SPACING} (padding before the first, after the last), accessed through {@link #HEADS}.
     */
    private final Entry[] armed = new Entry[(STRIPES + 1) * SPACING];

    /** Stack heads of disarmed entries that the wheel may hold, laid out like {@link #armed}. */
    private final Entry[] cancelled = new Entry[(STRIPES + 1) * SPACING];

    /** When the timer thread will wake by itself (nanos since {@link #ORIGIN}), {@link #IDLE}, or {@link #AWAKE}. */
    private volatile long wakeAt = AWAKE;

    /** {@link #pending()} hand-shake: tickets taken and the last ticket answered. */
    private volatile long requested;
    private volatile long served;
    private volatile int held;

    private volatile boolean stopped;

    // ------------------------------------------------------------- timer thread only

    private final TimingWheel wheel = new TimingWheel(elapsed() / TICK_NANOS);
    private final ArrayList<Entry> due = new ArrayList<>();
    private final Thread thread;

    Timer(String name) {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Nanoseconds since {@link #ORIGIN}. */
    static long elapsed() {
        return System.nanoTime() - ORIGIN;
    }

    /** The deadline, in {@link #elapsed()} terms, {@code delayNanos} from now (saturated). */
    static long deadlineAfter(long delayNanos) {
        long now = elapsed();
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

    /**
     * For tests: the number of entries the shared timer holds, once it has taken every request made before this
     * call (so an entry disarmed before it is not counted). Waits for the timer thread to answer.
     */
    static int pending() {
        return SHARED.settledSize();
    }

    /** Hands a new entry to the timer. Lock-free: one CAS, plus an unpark only if the timer must wake earlier. */
    void arm(Entry entry) {
        if (entry.timer != this) {
            throw new IllegalArgumentException("Entry belongs to another timer: " + entry.timer);
        }
        if (entry.state != Entry.PENDING) {
            return; // disarmed before it was armed
        }
        int depth = push(armed, entry);
        wakeIfNeeded(entry.deadline, depth);
    }

    /** Called by a canceller once it has disarmed an entry the wheel may hold. */
    private void forget(Entry entry) {
        int depth = push(cancelled, entry);
        wakeIfNeeded(IDLE, depth);
    }

    /** Treiber push onto this thread's stripe; returns the stripe's depth since the timer last took it. */
    private static int push(Entry[] stacks, Entry entry) {
        @SuppressWarnings("deprecation") // Thread.threadId() is Java 19+
        int index = (((int) Thread.currentThread().getId() & (STRIPES - 1)) + 1) * SPACING;
        Entry head;
        do {
            head = (Entry) HEADS.getVolatile(stacks, index);
            entry.link = head;
            // head cannot be taken and relinked while still the head: entries are pushed onto a stack only once.
            entry.depth = (head == null) ? 1 : head.depth + 1;
        } while (!HEADS.compareAndSet(stacks, index, head, entry));
        return entry.depth;
    }

    private static Entry take(Entry[] stacks, int stripe) {
        return (Entry) HEADS.getAndSet(stacks, (stripe + 1) * SPACING, (Entry) null);
    }

    private static Entry peek(Entry[] stacks, int stripe) {
        return (Entry) HEADS.getVolatile(stacks, (stripe + 1) * SPACING);
    }

    private static boolean anyIn(Entry[] stacks) {
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            if (peek(stacks, stripe) != null) {
                return true;
            }
        }
        return false;
    }

    private void wakeIfNeeded(long deadline, int depth) {
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

    private void wakeNow() {
        wakeIfNeeded(Long.MIN_VALUE + 1, 1);
    }

    int settledSize() {
        if (Thread.currentThread() == thread) {
            return wheel.size();
        }
        long ticket = (long) REQUESTED.getAndAdd(this, 1L) + 1;
        wakeNow();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (served < ticket) {
            if (System.nanoTime() - giveUp > 0) {
                throw new IllegalStateException("Timer thread '" + thread.getName() + "' did not answer within 30 s");
            }
            LockSupport.parkNanos(this, 20_000);
        }
        return held;
    }

    /** For tests: stops the timer thread; entries still held never fire. */
    void stop() throws InterruptedException {
        stopped = true;
        LockSupport.unpark(thread);
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    Thread thread() {
        return thread;
    }

    // ------------------------------------------------------------- timer thread

    private void run() {
        while (!stopped) {
            try {
                cycle();
            } catch (Throwable ex) { // a bug or an OutOfMemoryError: log it and keep the timer alive
                // Entries already taken off the wheel stay in `due` (fired ones were nulled out): the next
                // cycle fires them, so a failure loses none.
                due.removeIf(Objects::isNull);
                wakeAt = AWAKE;
                Thread.interrupted();
                try {
                    Cancellation.LOGGER.log(System.Logger.Level.ERROR, "Timer thread failed; continuing", ex);
                } catch (Throwable logFailure) {
                    // nothing left to report it to; the timer must go on
                }
                LockSupport.parkNanos(this, TICK_NANOS);
            }
        }
    }

    private void cycle() {
        long ticket = requested;
        boolean active = takeArmed();
        takeCancelled();
        long now = elapsed();
        wheel.advance(now / TICK_NANOS, due);
        fireDue();
        held = wheel.size();
        served = ticket;

        long plan = plan(active, elapsed());
        wakeAt = plan;
        // Producers that pushed before the write above saw AWAKE and did not wake us: look at what they left.
        if (mustRunAgain(plan, ticket)) {
            wakeAt = AWAKE;
            return;
        }
        // An interrupt (an action's, or anyone's) would make every park return at once: clear it, never spin.
        Thread.interrupted();
        if (plan == IDLE) {
            LockSupport.park(this);
        } else {
            long wait = plan - elapsed();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
        }
        wakeAt = AWAKE;
    }

    /** Files newly armed entries; the already due go to {@link #due}, in deadline order. Returns whether any came. */
    private boolean takeArmed() {
        boolean any = false;
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            Entry stack = take(armed, stripe);
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

    private void file(Entry stack) {
        Entry oldest = null; // reverse into arrival order, so that equal deadlines fire first come, first served
        while (stack != null) {
            Entry following = stack.link;
            stack.link = oldest;
            oldest = stack;
            stack = following;
        }
        for (Entry entry = oldest; entry != null; ) {
            Entry following = entry.link; // read before filing: once filed, a canceller may reuse the link
            entry.link = null;
            if (entry.state == Entry.PENDING) {
                if (!wheel.add(entry)) {
                    due.add(entry);
                } else if (entry.state != Entry.PENDING) {
                    wheel.remove(entry); // disarmed while we filed it; its canceller may not have seen the slot
                }
            }
            entry = following;
        }
    }

    private void takeCancelled() {
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            Entry entry = take(cancelled, stripe);
            while (entry != null) {
                Entry following = entry.link;
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
            Entry entry = due.get(i);
            due.set(i, null);
            if (Entry.STATE.compareAndSet(entry, Entry.PENDING, Entry.FIRED)) {
                try {
                    entry.fire();
                } catch (Throwable ex) {
                    Cancellation.LOGGER.log(System.Logger.Level.ERROR, "Timer action failed", ex);
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
        long plan = (next == TimingWheel.NONE) ? IDLE : next * TICK_NANOS;
        if (active || anyIn(armed)) {
            plan = Math.min(plan, now + LINGER_NANOS);
        }
        if (anyIn(cancelled)) {
            plan = Math.min(plan, nextTickStart(now));
        }
        return plan;
    }

    private boolean mustRunAgain(long plan, long ticket) {
        if (requested != ticket || stopped) {
            return true;
        }
        long now = elapsed();
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            Entry head = peek(armed, stripe);
            if (head == null) {
                continue;
            }
            if (plan > now + LINGER_NANOS) {
                return true; // they came after the plan was made
            }
            int seen = 0;
            for (Entry entry = head; entry != null; entry = entry.link) {
                if (entry.deadline < plan || ++seen > WAKE_BATCH) {
                    return true;
                }
            }
        }
        return plan > nextTickStart(now) && anyIn(cancelled);
    }

    private static long nextTickStart(long now) {
        return (now / TICK_NANOS + 1) * TICK_NANOS;
    }

    @Override
    public String toString() {
        return "Timer[" + thread.getName() + "]";
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

        final Timer timer;

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

        Entry(Timer timer, long deadline) {
            this.timer = timer;
            this.deadline = Math.min(Math.max(0, deadline), MAX_DEADLINE);
        }

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

        private Runnable action;

        Task(Timer timer, long deadline, Runnable action) {
            super(timer, deadline);
            this.action = action;
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
