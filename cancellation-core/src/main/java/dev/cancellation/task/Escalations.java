package dev.cancellation.task;

import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The escalation of cancelled tasks (interrupt after the grace, abandon after that), for a whole registry: one
 * sweeper thread instead of timers armed per task.
 *
 * <p>A cancel appends the task to a lock-free queue and arms no timer, so a mass cancel (a shutdown of thousands of
 * tasks) costs the cancelling thread one queue append per task; the sweeper wakes at the earliest due step,
 * performs every step that is due, and drops tasks that have exited.
 *
 * <p>An interrupt that reaches the sweeper thread (from a listener it runs, or from anyone) is cleared before it
 * parks, so it never turns the wait into a busy loop.
 *
 * <p>The sweeper thread is started on demand (or by {@link #prestart()}) and ends once nothing has been left to
 * escalate for {@link #IDLE_LINGER_NANOS}: a burst of cancels after a quiet spell finds it parked, because
 * starting a thread while thousands of woken ones compete for the CPU (a mass cancel) can take a second.
 *
 * <p>Thread-safety: {@link #add}, {@link #exited()} and {@link #prestart()} may be called from any thread. A task
 * added while the sweeper is scanning, parking, idling or stopping is never missed: an adder publishes the task
 * before reading the sweeper's state, and the sweeper publishes its state (scanning, parked until a time, idle)
 * before it looks at the queue for the last time and parks, so one of the two always sees the other.
 */
final class Escalations {

    private static final int STOPPED = 0;
    private static final int SCANNING = 1;
    private static final int PARKED = 2;
    private static final int IDLE = 3;

    /** How long the sweeper stays parked with nothing to escalate before its thread ends. */
    static final long IDLE_LINGER_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** How many exited tasks may wait in the queue before the sweeper is woken early to drop them. */
    private static final int PURGE_THRESHOLD = 1024;

    private final ConcurrentLinkedQueue<TaskHandle> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger state = new AtomicInteger(STOPPED);
    private final AtomicInteger exitedSincePurge = new AtomicInteger();
    private final String threadName;
    private volatile long wakeAt;
    private volatile @Nullable Thread sweeper;

    Escalations(String threadName) {
        this.threadName = threadName;
    }

    /** Escalates {@code task} from {@code dueNanos} on (its first step). */
    void add(TaskHandle task, long dueNanos) {
        queue.offer(task);
        while (true) {
            int current = state.get();
            if (current == STOPPED) {
                if (state.compareAndSet(STOPPED, SCANNING)) {
                    startSweeper();
                    return;
                }
            } else {
                if (current != PARKED || dueNanos - wakeAt < 0) {
                    LockSupport.unpark(sweeper);
                }
                return;
            }
        }
    }

    /**
     * Starts the sweeper now if it is not running, so that it is there, idle, when a mass cancel comes (the
     * registry's shutdown calls this before it cancels anything).
     */
    void prestart() {
        if (state.get() == STOPPED && state.compareAndSet(STOPPED, SCANNING)) {
            startSweeper();
        }
    }

    /** A task that was added has exited: once many have, the sweeper drops them early, so none is kept long. */
    void exited() {
        if (exitedSincePurge.incrementAndGet() >= PURGE_THRESHOLD) {
            exitedSincePurge.set(0);
            Thread thread = sweeper;
            if (thread != null) {
                LockSupport.unpark(thread);
            }
        }
    }

    private void startSweeper() {
        Thread thread = new Thread(this::sweep, threadName);
        thread.setDaemon(true);
        sweeper = thread;
        thread.start();
    }

    private void sweep() {
        long lastWork = System.nanoTime();
        while (true) {
            state.set(SCANNING);
            long now = System.nanoTime();
            if (!queue.isEmpty()) {
                lastWork = now;
            }
            boolean pending = false;
            long next = 0;
            for (Iterator<TaskHandle> it = queue.iterator(); it.hasNext(); ) {
                TaskHandle task = it.next();
                long due;
                try {
                    due = task.escalate(now);
                } catch (RuntimeException | Error ex) { // listeners and cleanups are guarded; this is a last resort
                    due = EscalationSteps.DONE;
                }
                Thread.interrupted(); // a listener may have interrupted this thread: never carry it into a park
                if (due == EscalationSteps.DONE) {
                    it.remove();
                } else if (!pending || due - next < 0) {
                    pending = true;
                    next = due;
                }
            }
            if (!pending) {
                long idle = now - lastWork;
                if (idle < IDLE_LINGER_NANOS) {
                    state.set(IDLE);
                    if (queue.isEmpty()) { // else an adder may have seen SCANNING: scan again
                        Thread.interrupted();
                        LockSupport.parkNanos(this, IDLE_LINGER_NANOS - idle);
                    }
                    continue;
                }
                state.set(STOPPED);
                // an adder that saw SCANNING only unparked us: make sure its task is not left behind
                if (queue.isEmpty() || !state.compareAndSet(STOPPED, SCANNING)) {
                    return; // empty, or an adder has started a new sweeper
                }
                continue;
            }
            wakeAt = next;
            state.set(PARKED);
            long delay = next - System.nanoTime();
            Thread.interrupted(); // an interrupt would make the park return at once, a busy loop until `next`
            if (delay > 0) {
                LockSupport.parkNanos(this, delay);
            }
        }
    }
}
