package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

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

    private static final VarHandle PHASE;
    private static final VarHandle EXITED;


    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PHASE = lookup.findVarHandle(TaskCall.class, "phase", int.class);
            EXITED = lookup.findVarHandle(TaskCall.class, "exited", boolean.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final TaskHandle handle;
    private final CancellableMethod method;
    private volatile int phase = PENDING; // fields + VarHandles: no Atomic* objects per call
    private volatile boolean exited;
    private final @Nullable CompletableFuture<Object> result;
    private volatile @Nullable Registration registration;
    /** The attempts of a {@code @Retryable} method; other methods have none, so they pay nothing for them. */
    private final @Nullable Attempts attempts;

    TaskCall(TaskHandle handle, CancellableMethod method, @Nullable CompletableFuture<Object> result) {
        this.handle = handle;
        this.method = method;
        this.result = result;
        this.attempts = method.retryable() ? new Attempts() : null;
    }

    TaskHandle handle() {
        return handle;
    }

    CancellableMethod method() {
        return method;
    }

    /** The future returned to the caller of a future-returning method; {@code null} for other methods. */
    @Nullable CompletableFuture<Object> result() {
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
     *
     * @param failure what the call threw, {@code null} if it returned normally
     * @return what the caller should throw ({@code failure} itself or the task's {@code TaskCancelledException});
     *     {@code null}, to return normally, only when {@code failure} is {@code null}
     */
    @Nullable Throwable exit(@Nullable Throwable failure) {
        if (!EXITED.compareAndSet(this, false, true)) {
            return failure;
        }
        Registration current = registration;
        if (current != null) {
            current.close();
        }
        if (attempts != null) {
            attempts.close();
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
        attempts.starting();
        if (handle.token().isCancelled()) {
            attempts.endRetries();
            throw cancelledException();
        }
    }

    /**
     * An attempt failed. If the task is cancelled, the retry advice around must not try again: the thread is
     * interrupted, which ends Spring's retry back-off at once (it gives up and rethrows). Otherwise, until the
     * next attempt starts, a cancellation interrupts the back-off the same way. Every such interrupt is consumed
     * by {@link #consumeRetryInterrupt()} when the call ends.
     */
    void attemptFailed() {
        if (handle.token().isCancelled()) {
            attempts.endRetries();
        } else {
            attempts.failed(handle.token());
        }
    }

    /**
     * The call is over (on its calling thread): consumes an interrupt that {@link #attemptFailed()} delivered.
     * Returns whether one was, i.e. whether the cancellation ended the retries. {@code false} for other methods.
     */
    boolean consumeRetryInterrupt() {
        return attempts != null && attempts.consumeInterrupt();
    }

    /**
     * The interrupt protocol between the attempts' thread and a cancelling thread: an interrupt is delivered only
     * between attempts (in the back-off) or by the attempts' thread itself, and always consumed at the end.
     */
    private static final class Attempts {

        private static final int IN_ATTEMPT = 0;
        private static final int BETWEEN_ATTEMPTS = 1;
        private static final int INTERRUPTING = 2;
        private static final int INTERRUPTED = 3;
        private static final int FINISHED = 4;

        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Attempts.class, "state", int.class);
            } catch (ReflectiveOperationException ex) {
                throw new ExceptionInInitializerError(ex);
            }
        }

        private volatile int state = IN_ATTEMPT;
        private volatile @Nullable Thread thread;
        private volatile @Nullable Registration registration;

        void starting() {
            STATE.compareAndSet(this, BETWEEN_ATTEMPTS, IN_ATTEMPT);
        }

        void failed(dev.cancellation.CancellationToken token) {
            thread = Thread.currentThread();
            if (registration == null) {
                registration = token.onCancel(reason -> interruptBackOff());
            }
            STATE.compareAndSet(this, IN_ATTEMPT, BETWEEN_ATTEMPTS);
            if (token.isCancelled()) { // cancelled in between: the callback may have seen IN_ATTEMPT
                interruptBackOff();
            }
        }

        /** On the attempts' thread: interrupts it (once), so that the retry advice gives up. */
        void endRetries() {
            while (state == INTERRUPTING) {
                Thread.onSpinWait(); // the cancel callback is interrupting this thread: one interrupt is enough
            }
            if ((int) STATE.getAndSet(this, INTERRUPTED) != INTERRUPTED) {
                Thread.currentThread().interrupt();
            }
        }

        private void interruptBackOff() {
            if (STATE.compareAndSet(this, BETWEEN_ATTEMPTS, INTERRUPTING)) {
                try {
                    thread.interrupt();
                } finally {
                    state = INTERRUPTED;
                }
            }
        }

        boolean consumeInterrupt() {
            while (true) {
                int current = state;
                if (current == INTERRUPTING) {
                    Thread.onSpinWait(); // being delivered right now: let it land, then clear it
                } else if (current == INTERRUPTED) {
                    state = FINISHED;
                    Thread.interrupted();
                    return true;
                } else if (current == FINISHED || STATE.compareAndSet(this, current, FINISHED)) {
                    return false;
                }
            }
        }

        void close() {
            Registration current = registration;
            if (current != null) {
                current.close();
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
