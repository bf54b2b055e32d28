package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;

/**
 * One call of a {@code @Cancellable} method: its task, whether its body has started, and the single exit.
 *
 * <p>For {@code @Async} methods the body runs later on another thread, and the task may be cancelled while it is
 * queued: {@link #tryStart()} (the executor thread) and {@link #trySkip()} (a cancelling thread) race on one CAS,
 * so exactly one of them owns the exit. {@link #exit(Throwable)} is idempotent, so a late completion signal never
 * exits a task twice. Thread-safe.
 */
final class TaskCall {

    /** The {@code ProxyMethodInvocation} user attribute under which the call travels to the inner interceptor. */
    static final String ATTRIBUTE = TaskCall.class.getName();

    private static final int PENDING = 0;
    private static final int RUNNING = 1;
    private static final int SKIPPED = 2;

    /** {@link #retry} states: see {@link #attemptFailed()}. */
    private static final int IN_ATTEMPT = 0;
    private static final int BETWEEN_ATTEMPTS = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;
    private static final int FINISHED = 4;

    private static final VarHandle PHASE;
    private static final VarHandle EXITED;
    private static final VarHandle RETRY;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PHASE = lookup.findVarHandle(TaskCall.class, "phase", int.class);
            EXITED = lookup.findVarHandle(TaskCall.class, "exited", boolean.class);
            RETRY = lookup.findVarHandle(TaskCall.class, "retry", int.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final TaskHandle handle;
    private final CancellableMethod method;
    private volatile int phase = PENDING; // fields + VarHandles: no Atomic* objects per call
    private volatile boolean exited;
    private final CompletableFuture<Object> result;
    private volatile Registration registration;
    private volatile int retry = IN_ATTEMPT;
    private volatile Thread attemptThread;
    private volatile Registration retryRegistration;

    TaskCall(TaskHandle handle, CancellableMethod method, CompletableFuture<Object> result) {
        this.handle = handle;
        this.method = method;
        this.result = result;
    }

    TaskHandle handle() {
        return handle;
    }

    CancellableMethod method() {
        return method;
    }

    /** The future returned to the caller of a future-returning method, or {@code null}. */
    CompletableFuture<Object> result() {
        return result;
    }

    void registration(Registration registration) {
        this.registration = registration;
    }

    /** Claims the body's execution; {@code false} if the task was cancelled before it started. */
    boolean tryStart() {
        return PHASE.compareAndSet(this, PENDING, RUNNING);
    }

    /** Claims that the body will never run (cancelled while queued); {@code false} if it has started. */
    boolean trySkip() {
        return PHASE.compareAndSet(this, PENDING, SKIPPED);
    }

    boolean isSkipped() {
        return phase == SKIPPED;
    }

    /**
     * Ends the task once: see {@link TaskHandle#exit(Throwable)}. Later calls return {@code failure} unchanged.
     */
    Throwable exit(Throwable failure) {
        if (!EXITED.compareAndSet(this, false, true)) {
            return failure;
        }
        Registration current = registration;
        if (current != null) {
            current.close();
        }
        Registration retrying = retryRegistration;
        if (retrying != null) {
            retrying.close();
        }
        return handle.exit(failure);
    }

    // ------------------------------------------------------------------ attempts of a @Retryable method

    /**
     * An attempt of a {@code @Retryable} method is about to run (on the calling thread, inside the retry advice).
     * Throws the task's {@code TaskCancelledException} instead if the task is already cancelled, so that no
     * attempt starts after a cancellation.
     */
    void attemptStarting() {
        RETRY.compareAndSet(this, BETWEEN_ATTEMPTS, IN_ATTEMPT);
        if (handle.token().isCancelled()) {
            endRetries();
            throw cancelledException();
        }
    }

    /**
     * An attempt failed with {@code failure}. If the task is cancelled, the retry advice around must not try
     * again: the thread is interrupted, which ends Spring's retry back-off at once (it gives up and rethrows).
     * Otherwise, until the next attempt starts, a cancellation interrupts the back-off the same way. Every such
     * interrupt is consumed by {@link #consumeRetryInterrupt()} when the call ends.
     */
    void attemptFailed() {
        if (handle.token().isCancelled()) {
            endRetries();
            return;
        }
        attemptThread = Thread.currentThread();
        if (retryRegistration == null) {
            retryRegistration = handle.token().onCancel(reason -> interruptBackOff());
        }
        RETRY.compareAndSet(this, IN_ATTEMPT, BETWEEN_ATTEMPTS);
        if (handle.token().isCancelled()) { // cancelled in between: the callback may have seen IN_ATTEMPT
            interruptBackOff();
        }
    }

    private void endRetries() {
        while (retry == INTERRUPTING) {
            Thread.onSpinWait(); // the cancel callback is interrupting this thread: one interrupt is enough
        }
        if ((int) RETRY.getAndSet(this, INTERRUPTED) != INTERRUPTED) {
            Thread.currentThread().interrupt();
        }
    }

    private void interruptBackOff() {
        if (RETRY.compareAndSet(this, BETWEEN_ATTEMPTS, INTERRUPTING)) {
            try {
                attemptThread.interrupt();
            } finally {
                retry = INTERRUPTED;
            }
        }
    }

    /**
     * The call is over (on its calling thread): consumes an interrupt that {@link #attemptFailed()} delivered.
     * Returns whether one was, i.e. whether the cancellation ended the retries.
     */
    boolean consumeRetryInterrupt() {
        while (true) {
            int state = retry;
            if (state == INTERRUPTING) {
                Thread.onSpinWait(); // being delivered right now: let it land, then clear it
            } else if (state == INTERRUPTED) {
                retry = FINISHED;
                Thread.interrupted();
                return true;
            } else if (state == FINISHED || RETRY.compareAndSet(this, state, FINISHED)) {
                return false;
            }
        }
    }

    /** The exception of a task that was cancelled, caused by {@code cause}. */
    TaskCancelledException cancelledException(Throwable cause) {
        TaskCancelledException cancelled = cancelledException();
        if (cause != null && cause != cancelled) {
            cancelled.initCause(cause);
        }
        return cancelled;
    }

    /** The exception of a task that was cancelled. */
    TaskCancelledException cancelledException() {
        CancellationReason reason = handle.token().reason()
                .orElseGet(() -> CancellationReason.requested("cancelled", "cancellation"));
        return TaskCancelledException.of(reason, method.name());
    }
}
