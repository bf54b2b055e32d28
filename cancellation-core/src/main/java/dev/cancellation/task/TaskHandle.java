package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.InterruptibleSection;
import dev.cancellation.TaskCancelledException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

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
 * wins decides who runs the cleanup and who removes the task. Interrupts go through the attachment, an
 * {@link InterruptibleSection}, so no interrupt is delivered after the attachment is closed. The rules of the
 * transitions and of the outcome translation are plain functions in {@code TaskLifecycle}; the due times of
 * escalation are kept by {@code EscalationSteps}; the registry's parts are reached through {@link Events}.
 *
 * <p>Cost: starting and ending a task reads the clock with {@link System#nanoTime()} only; wall-clock instants
 * ({@link TaskInfo#startedAt()}, {@link TaskInfo#finishedAt()}) are derived from it when a snapshot is taken. The
 * id is generated the first time anyone asks for it ({@link #id()}, {@link #info()}), at which point the task
 * becomes findable by it: an id nobody has seen cannot be looked up, so a task that is never observed never pays
 * for one (see {@code IdentifiedTask}).
 */
public final class TaskHandle extends IdentifiedTask {

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

    /** Marks {@link #finishedNanos} as not finished yet. */
    private static final long NOT_FINISHED = Long.MIN_VALUE;

    private final TaskSpec spec;
    private final @Nullable TaskHandle parent;
    private final CancellationSource source;
    private final long startNanos;

    private volatile TaskState state = TaskState.RUNNING;
    private volatile @Nullable TaskAttachment attachment;
    private volatile long cancelRequestedNanos;
    private volatile boolean exited;
    private volatile boolean cleanupClaimed;
    private volatile long finishedNanos = NOT_FINISHED;
    /** Wall-clock instants, derived once on first need so that every view shows the same value. */
    private volatile @Nullable Instant startedAtWall;
    private volatile @Nullable Instant finishedAtWall;
    private volatile boolean interruptDelivered;
    /** Set once, when a cancel request escalates: from then on the sweeper holds the task until it stops. */
    private volatile @Nullable EscalationSteps escalation;

    TaskHandle(Events events, TaskSpec spec, CancellationToken parentToken, @Nullable TaskHandle parent) {
        super(events);
        this.spec = spec;
        this.parent = parent;
        this.startNanos = System.nanoTime();
        this.source = CancellationSource.childOf(parentToken, spec.timeout());
    }

    /**
     * The handle of a task that began in a frame ({@code TaskFrames}) and is observed now: it keeps the frame's
     * token and start time, and its thread is attached as if it had called {@link #attach()} (the frame restores
     * the current token itself).
     */
    TaskHandle(Events events, TaskSpec spec, @Nullable TaskHandle parent, CancellationSource source, long startNanos,
            Thread thread) {
        super(events);
        this.spec = spec;
        this.parent = parent;
        this.startNanos = startNanos;
        this.source = source;
        this.attachment = new TaskAttachment(this, thread, null);
    }

    /**
     * Starts reacting to cancellation. Called by the registry once the task is listed and {@code onStarted} has
     * been fired, so that a task whose parent is already cancelled still reports its events in order.
     */
    void activate() {
        // Never deregistered: after exit the token is detached from its parents, and a late direct cancel finds
        // the task out of RUNNING and does nothing; deregistering would cost every task a second trip through
        // the token's lock. The hook dies with the token.
        source.token().onCancel(this::cancelled);
    }

    /** The task's id: unique among live tasks, hard to guess. Generated on the first call. */
    public String id() {
        return revealedId();
    }

    /** The task started from, if it was started from a registered task. */
    @Nullable TaskHandle parent() {
        return parent;
    }

    long startNanos() {
        return startNanos;
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

    /** The id of the parent task, {@code null} if it has none. */
    public @Nullable String parentId() {
        return (parent == null) ? null : parent.id();
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
        return info(Instant.now(), System.nanoTime());
    }

    /**
     * A snapshot, with wall-clock instants derived from the given pair of clock readings (one pair serves a whole
     * listing, so that the instants of its tasks are consistent with each other).
     */
    TaskInfo info(Instant wallNow, long nanoNow) {
        TaskAttachment current = attachment;
        TaskState currentState = state;
        long finished = finishedNanos;
        Instant startedAt = startedAtWall;
        if (startedAt == null) {
            startedAt = wallNow.minusNanos(nanoNow - startNanos);
            startedAtWall = startedAt; // a racing reader may derive a value a few ns apart; the last write stays
        }
        Instant finishedAt = finishedAtWall;
        if (finishedAt == null && finished != NOT_FINISHED) {
            finishedAt = startedAt.plusNanos(finished - startNanos); // consistent with elapsed, to the nanosecond
            finishedAtWall = finishedAt;
        }
        Duration elapsed = Duration.ofNanos(((finished == NOT_FINISHED) ? nanoNow : finished) - startNanos);
        return new TaskInfo(id(), spec.name(), currentState, parentId(), startedAt, token().deadline().orElse(null),
                elapsed, token().reason().orElse(null), (current == null) ? null : current.thread().getName(),
                finishedAt, spec.attributes());
    }

    @Nullable Thread attachedThread() {
        TaskAttachment current = attachment;
        return (current == null) ? null : current.thread();
    }

    // ------------------------------------------------------------------------------------ running the code

    /**
     * Attaches the calling thread: binds the token as {@link CancellationToken#current()} and lets escalation
     * interrupt this thread. Close on the same thread; closing restores the previous token and consumes an
     * interrupt that escalation delivered, so a pooled thread is never left interrupted.
     */
    public TaskAttachment attach() {
        TaskAttachment next = new TaskAttachment(this, Thread.currentThread(), Cancellation.enter(token()));
        attachment = next;
        return next;
    }

    /** Escalation is about to interrupt the attached thread: {@link #exit} on the woken thread reads this. */
    void markInterruptDelivered() {
        interruptDelivered = true;
    }

    /** The attachment was closed: it is no longer this task's. */
    void detached(TaskAttachment closed) {
        if (attachment == closed) {
            attachment = null;
        }
    }

    /** Closes the attachment the registry made for this thread (see {@link TaskAttachment#close()}), if any. */
    void detach() {
        TaskAttachment current = attachment;
        if (current != null && current.thread() == Thread.currentThread()) {
            current.close();
        }
    }

    /**
     * Records that the task's code exited, with {@code failure} ({@code null} if it returned normally), and
     * returns what the caller should throw: {@code null} to return normally, the failure itself, or a
     * {@link TaskCancelledException} (a {@code TaskTimeoutException} for a timeout) with the reason when the code
     * stopped because of the cancellation. Closes the token source, starts the cleanup of a cancelled task, and
     * removes the task from the live table unless a cleanup is running. Call once.
     */
    public @Nullable Throwable exit(@Nullable Throwable failure) {
        if (exited) {
            throw new IllegalStateException("Task " + id() + " (" + name() + ") already exited");
        }
        exited = true;
        CancellationReason reason = token().reason().orElse(null);
        if (reason != null && state == TaskState.RUNNING) {
            // Cancelled, but the cancel hook has not run yet (a deadline's runs on the callback pool, and the code
            // saw the token first): report the request here, so that it is never lost and comes before onExited.
            requestCancellation(reason);
        }
        TaskOutcome outcome = TaskLifecycle.outcome(failure, reason, interruptDelivered);
        Throwable toThrow = TaskLifecycle.toThrow(failure, outcome, reason, name());
        long now = System.nanoTime();
        long requested = cancelRequestedNanos;
        source.close();
        if (escalation != null) {
            events.escalationExited();
        }
        events.exited(this, outcome, now - startNanos,
                (reason == null || requested == 0) ? -1 : Math.max(0, now - requested), failure);
        TaskState next = TaskLifecycle.stateAfterExit(outcome, spec.cleanup() != null);
        boolean cleanUp = next == TaskState.CLEANING_UP;
        // One CAS decides between this exit and a concurrent abandon(): the loser must not touch the task.
        while (true) {
            TaskState current = state;
            if (current == TaskState.ABANDONED) {
                events.remove(this); // abandon() already started its cleanup (if any)
                return toThrow;
            }
            if (STATE.compareAndSet(this, current, next)) {
                break;
            }
        }
        if (cleanUp && claimCleanup()) {
            events.runCleanup(this, spec.cleanup(), reason, true);
        } else if (!cleanUp) {
            finishedNanos = System.nanoTime();
            events.remove(this);
        }
        return toThrow;
    }

    // ------------------------------------------------------------------------------------ lifecycle internals

    /**
     * Moves a running task to {@code CANCELLING} and tells the listeners; {@code false} if it was not running (the
     * cancel hook and the exit race for this, and only one reports the request).
     */
    private boolean requestCancellation(CancellationReason reason) {
        cancelRequestedNanos = System.nanoTime(); // before the state: whoever sees CANCELLING also sees when
        if (!STATE.compareAndSet(this, TaskState.RUNNING, TaskState.CANCELLING)) {
            return false;
        }
        events.cancelRequested(this, reason);
        return true;
    }

    private void cancelled(CancellationReason reason) {
        if (!requestCancellation(reason)) {
            return;
        }
        EscalationSteps steps = EscalationSteps.of(spec, System.nanoTime());
        if (steps != null) { // else nothing to escalate to: the task is waited for (until shutdown)
            escalation = steps;
            events.escalate(this, steps.firstDueNanos());
        }
    }

    /**
     * Performs the escalation steps due at {@code now} (the registry's escalation sweeper calls it). Returns when
     * the next step is due, or {@link EscalationSteps#DONE} when there is none left (the task exited or was abandoned).
     */
    long escalate(long now) {
        EscalationSteps steps = escalation;
        if (steps == null || exited || state.isTerminal()) {
            return EscalationSteps.DONE;
        }
        return steps.perform(this, now);
    }

    /** Interrupts the attached thread (if any, and not already interrupted). Returns whether one was delivered. */
    boolean interruptNow() {
        TaskAttachment current = attachment;
        return current != null && current.interrupt();
    }

    /** Marks a live task that did not stop as abandoned and starts its cleanup. */
    boolean abandon() {
        while (true) {
            TaskState current = state;
            if (!TaskLifecycle.abandonable(current)) {
                return false; // exit() won: it owns the cleanup and the removal
            }
            if (STATE.compareAndSet(this, current, TaskState.ABANDONED)) {
                break;
            }
        }
        finishedNanos = System.nanoTime();
        events.abandoned(this);
        CancellationReason reason = token().reason().orElse(null);
        if (reason != null && spec.cleanup() != null && claimCleanup()) {
            events.runCleanup(this, spec.cleanup(), reason, false);
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
        finishedNanos = System.nanoTime();
        events.remove(this);
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

    @Override
    public String toString() {
        return "Task[" + id() + " " + name() + " " + state + "]";
    }

    /**
     * What a handle reports to its registry's parts, and asks of them; declared by the handle that needs it, so that
     * the parts build on the handle rather than around it. {@code TaskEvents} routes each call to its part.
     */
    interface Events {
        /** A new id, and the live table's index by id (see {@code IdentifiedTask}). */
        String newId();
        boolean index(String id, TaskHandle handle);
        void unindex(String id, TaskHandle handle);

        void cancelRequested(TaskHandle handle, CancellationReason reason);
        /** See {@code ListenerDispatch#exited}. */
        void exited(TaskHandle handle, TaskOutcome outcome, long runNanos, long stopLatencyNanos,
                @Nullable Throwable failure);
        void abandoned(TaskHandle handle);
        /** The task is finished: out of the live table. */
        void remove(TaskHandle handle);

        /** Hands a cancelled task to the escalation sweeper, its first step due at {@code dueNanos}. */
        void escalate(TaskHandle handle, long dueNanos);
        /** A task handed to the sweeper has exited. */
        void escalationExited();

        /** See {@code CleanupRunner#run}. */
        void runCleanup(TaskHandle handle, CleanupAction action, CancellationReason reason, boolean onExitingThread);
    }
}
