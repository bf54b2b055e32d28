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
    private final CompletableFuture<Object> result;
    private volatile Registration registration;

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
        return handle.exit(failure);
    }

    /** The exception of a task that was cancelled. */
    TaskCancelledException cancelledException() {
        CancellationReason reason = handle.token().reason()
                .orElseGet(() -> CancellationReason.requested("cancelled", "cancellation"));
        return TaskCancelledException.of(reason, method.name());
    }
}
