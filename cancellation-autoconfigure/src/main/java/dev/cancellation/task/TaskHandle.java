package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.time.Instant;

/**
 * A live task in a {@link TaskRegistry}: its token, its state, and the thread running it.
 *
 * <p>The code that runs the task {@linkplain #attach() attaches} while it runs (which binds the token as current
 * and makes the thread interruptible by escalation) and calls {@link #exit(Throwable)} exactly once when the
 * code is done. Everything else ({@link #cancel}, {@link #info()}) may be called from any thread at any time.
 *
 * <p>Life cycle: {@code RUNNING} -> (cancel) {@code CANCELLING} -> (exit) {@code CLEANING_UP} when it has a
 * cleanup -> {@code CANCELLED}; or straight to {@code COMPLETED} / {@code FAILED} / {@code CANCELLED} at exit;
 * or {@code ABANDONED} when escalation or shutdown gives up on it before it exits.
 *
 * <p>Thread-safety: the state is a single field changed only by compare-and-set, so the two ways out of
 * {@code RUNNING}/{@code CANCELLING} (the code exiting, escalation abandoning it) cannot both win; whichever
 * wins decides who runs the cleanup and who removes the task. Interrupts go through the attachment's small state
 * machine, so no interrupt is delivered after the attachment is closed.
 */
public final class TaskHandle {

    private static final VarHandle STATE;
    private static final VarHandle CLEANUP_CLAIMED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(TaskHandle.class, "state", TaskState.class);
            CLEANUP_CLAIMED = lookup.findVarHandle(TaskHandle.class, "cleanupClaimed", boolean.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final TaskRegistry registry;
    private final String id;
    private final TaskSpec spec;
    private final String parentId;
    private final CancellationSource source;
    private final Instant startedAt;
    private final long startNanos;
    private volatile Registration cancelHook;

    private volatile TaskState state = TaskState.RUNNING;
    private volatile Attachment attachment;
    private volatile long cancelRequestedNanos;
    private volatile boolean exited;
    private volatile boolean cleanupClaimed;
    private volatile Instant finishedAt;
    private volatile boolean interruptDelivered;
    private volatile CancellationSource escalation;

    TaskHandle(TaskRegistry registry, String id, TaskSpec spec, String parentId) {
        this.registry = registry;
        this.id = id;
        this.spec = spec;
        this.parentId = parentId;
        this.startedAt = Instant.now();
        this.startNanos = System.nanoTime();
        this.source = CancellationSource.childOf(spec.parent(), spec.timeout());
    }

    /**
     * Starts reacting to cancellation. Called by the registry once the task is listed and {@code onStarted} has
     * been fired, so that a task whose parent is already cancelled still reports its events in order.
     */
    void activate() {
        cancelHook = source.token().onCancel(this::cancelled);
    }

    /** The task's id. */
    public String id() {
        return id;
    }

    /** The task's name. */
    public String name() {
        return spec.name();
    }

    /** The task's token. */
    public CancellationToken token() {
        return source.token();
    }

    /** The current state. */
    public TaskState state() {
        return state;
    }

    /** The id of the parent task, or {@code null}. */
    public String parentId() {
        return parentId;
    }

    /** Whether the task's code has exited. */
    public boolean hasExited() {
        return exited;
    }

    /**
     * Cancels the task's token (and so its child tasks) with {@code reason}.
     *
     * @return {@code true} if this call cancelled it, {@code false} if it already was
     */
    public boolean cancel(CancellationReason reason) {
        return source.cancel(reason);
    }

    /** A snapshot of this task. */
    public TaskInfo info() {
        Attachment current = attachment;
        Instant finished = finishedAt;
        Duration elapsed = (finished != null) ? Duration.between(startedAt, finished)
                : Duration.ofNanos(System.nanoTime() - startNanos);
        return new TaskInfo(id, spec.name(), state, parentId, startedAt, token().deadline().orElse(null), elapsed,
                token().reason().orElse(null), (current == null) ? null : current.thread.getName(), finished);
    }

    Thread attachedThread() {
        Attachment current = attachment;
        return (current == null) ? null : current.thread;
    }

    // ------------------------------------------------------------------------------------ running the code

    /**
     * Attaches the calling thread: binds the token as {@link CancellationToken#current()} and lets escalation
     * interrupt this thread. Close on the same thread; closing restores the previous token and consumes an
     * interrupt that escalation delivered, so a pooled thread is never left interrupted.
     */
    public Attachment attach() {
        Attachment next = new Attachment(Thread.currentThread(), Cancellation.enter(token()));
        attachment = next;
        return next;
    }

    /**
     * Records that the task's code exited, with {@code failure} ({@code null} if it returned normally), and
     * returns what the caller should throw: {@code null} to return normally, the failure itself, or a
     * {@link TaskCancelledException} (a {@code TaskTimeoutException} for a timeout) with the reason when the code
     * stopped because of the cancellation. Closes the token source, starts the cleanup of a cancelled task, and
     * removes the task from the live table unless a cleanup is running. Call once.
     */
    public Throwable exit(Throwable failure) {
        if (exited) {
            throw new IllegalStateException("Task " + id + " (" + name() + ") already exited");
        }
        exited = true;
        CancellationReason reason = token().reason().orElse(null);
        Throwable toThrow = failure;
        TaskOutcome outcome;
        if (failure == null) {
            outcome = TaskOutcome.COMPLETED;
        } else if (reason != null && (interruptDelivered || causedByCancellation(failure))) {
            outcome = reason.isTimeout() ? TaskOutcome.TIMEOUT : TaskOutcome.CANCELLED;
            if (!(failure instanceof TaskCancelledException cancelled && cancelled.reason() == reason)) {
                TaskCancelledException translated = TaskCancelledException.of(reason, name());
                translated.initCause(failure);
                toThrow = translated;
            }
        } else {
            outcome = TaskOutcome.FAILED;
        }
        long now = System.nanoTime();
        long requested = cancelRequestedNanos;
        Registration hook = cancelHook;
        if (hook != null) {
            hook.close();
        }
        source.close();
        closeEscalation();
        registry.exited(this, outcome, Duration.ofNanos(now - startNanos),
                (reason == null || requested == 0) ? null : Duration.ofNanos(Math.max(0, now - requested)));
        boolean stoppedByCancel = outcome == TaskOutcome.CANCELLED || outcome == TaskOutcome.TIMEOUT;
        boolean cleanUp = stoppedByCancel && spec.cleanup() != null;
        TaskState next = cleanUp ? TaskState.CLEANING_UP : switch (outcome) {
            case COMPLETED -> TaskState.COMPLETED;
            case FAILED -> TaskState.FAILED;
            default -> TaskState.CANCELLED;
        };
        // One CAS decides between this exit and a concurrent abandon(): the loser must not touch the task.
        while (true) {
            TaskState current = state;
            if (current == TaskState.ABANDONED) {
                registry.remove(this); // abandon() already started its cleanup (if any)
                return toThrow;
            }
            if (STATE.compareAndSet(this, current, next)) {
                break;
            }
        }
        if (cleanUp && claimCleanup()) {
            registry.runCleanup(this, spec.cleanup(), reason);
        } else if (!cleanUp) {
            finishedAt = Instant.now();
            registry.remove(this);
        }
        return toThrow;
    }

    /** Whether {@code failure} is how code reacts to cancellation: a cancel checkpoint or an interrupt. */
    static boolean causedByCancellation(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof TaskCancelledException || cause instanceof InterruptedException
                    || cause instanceof ClosedByInterruptException || cause instanceof InterruptedIOException) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------ lifecycle internals

    private void cancelled(CancellationReason reason) {
        cancelRequestedNanos = System.nanoTime();
        if (!STATE.compareAndSet(this, TaskState.RUNNING, TaskState.CANCELLING)) {
            return;
        }
        registry.cancelRequested(this, reason);
        Duration interruptAfter = spec.interruptAfter();
        Duration abandonAfter = spec.abandonAfter();
        if (interruptAfter == null && abandonAfter == null) {
            return; // nothing to escalate to: the task is waited for (until shutdown)
        }
        Duration interruptStep = (interruptAfter != null) ? interruptAfter : Duration.ZERO;
        // The escalation timer outlives both steps; closing it (at exit) disarms both.
        CancellationSource timer = (abandonAfter != null)
                ? CancellationSource.withTimeout(saturatedPlus(interruptStep, abandonAfter))
                : CancellationSource.create();
        escalation = timer;
        if (exited) {
            closeEscalation();
            return;
        }
        if (interruptAfter != null) {
            CancellationSource interruptTimer = CancellationSource.childOf(timer.token(), interruptAfter);
            interruptTimer.token().onCancel(r -> {
                if (r.isTimeout() && !exited) {
                    interruptNow();
                }
            });
        }
        if (abandonAfter != null) {
            timer.token().onCancel(r -> {
                if (r.isTimeout() && !exited) {
                    abandon();
                }
            });
        }
    }

    /** Durations beyond ~100 years are "never" anyway; capping keeps timer arithmetic from overflowing. */
    private static final Duration LONGEST = Duration.ofDays(36_500);

    private static Duration saturatedPlus(Duration a, Duration b) {
        Duration sum = (a.compareTo(LONGEST) >= 0 || b.compareTo(LONGEST) >= 0) ? LONGEST : a.plus(b);
        return (sum.compareTo(LONGEST) > 0) ? LONGEST : sum;
    }

    private void closeEscalation() {
        CancellationSource timer = escalation;
        if (timer != null) {
            timer.cancel(CancellationReason.requested("task exited", "task"));
            timer.close();
        }
    }

    /** Interrupts the attached thread (if any, and not already interrupted). Returns whether one was delivered. */
    boolean interruptNow() {
        Attachment current = attachment;
        return current != null && current.interrupt();
    }

    /** Marks a live task that did not stop as abandoned and starts its cleanup. */
    boolean abandon() {
        while (true) {
            TaskState current = state;
            if (current != TaskState.RUNNING && current != TaskState.CANCELLING) {
                return false; // exit() won: it owns the cleanup and the removal
            }
            if (STATE.compareAndSet(this, current, TaskState.ABANDONED)) {
                break;
            }
        }
        finishedAt = Instant.now();
        registry.abandoned(this);
        CancellationReason reason = token().reason().orElse(null);
        if (reason != null && spec.cleanup() != null && claimCleanup()) {
            registry.runCleanup(this, spec.cleanup(), reason);
        }
        return true;
    }

    private boolean claimCleanup() {
        return CLEANUP_CLAIMED.compareAndSet(this, false, true);
    }

    /** Called by the registry when the cleanup ended. */
    void cleanupFinished() {
        if (state == TaskState.ABANDONED) {
            return; // stays listed until its thread exits
        }
        finish(TaskState.CANCELLED);
    }

    private void finish(TaskState terminal) {
        transition(terminal);
        finishedAt = Instant.now();
        registry.remove(this);
    }

    private void transition(TaskState next) {
        while (true) {
            TaskState current = state;
            if (current.isTerminal()) {
                return;
            }
            if (STATE.compareAndSet(this, current, next)) {
                return;
            }
        }
    }

    /** Releases a handle that never became live (an id clash in {@link TaskRegistry#start}). */
    void close() {
        source.close();
    }

    @Override
    public String toString() {
        return "Task[" + id + " " + name() + " " + state + "]";
    }

    /**
     * A thread running a task's code; see {@link TaskHandle#attach()}. Its interrupt state machine guarantees
     * that an interrupt is never delivered after {@link #close()} returns.
     */
    public final class Attachment implements AutoCloseable {

        private static final int ARMED = 0;
        private static final int INTERRUPTING = 1;
        private static final int DETACHED = 2;

        private final Thread thread;
        private final Cancellation.Scope scope;
        private final java.util.concurrent.atomic.AtomicInteger armed = new java.util.concurrent.atomic.AtomicInteger(ARMED);
        private volatile boolean delivered;

        private Attachment(Thread thread, Cancellation.Scope scope) {
            this.thread = thread;
            this.scope = scope;
        }

        boolean interrupt() {
            if (!armed.compareAndSet(ARMED, INTERRUPTING)) {
                return false;
            }
            try {
                if (!thread.isInterrupted()) {
                    delivered = true;
                    interruptDelivered = true;
                    thread.interrupt();
                }
            } finally {
                armed.set(ARMED);
            }
            return delivered;
        }

        /** Whether escalation interrupted this thread while attached. */
        public boolean interruptDelivered() {
            return delivered;
        }

        /**
         * Detaches: restores the previous token and consumes an interrupt that escalation delivered. Call on the
         * attached thread.
         */
        @Override
        public void close() {
            while (!armed.compareAndSet(ARMED, DETACHED)) {
                if (armed.get() == DETACHED) {
                    return;
                }
                Thread.onSpinWait();
            }
            if (attachment == this) {
                attachment = null;
            }
            scope.close();
            if (delivered && Thread.currentThread() == thread) {
                Thread.interrupted();
            }
        }
    }
}
