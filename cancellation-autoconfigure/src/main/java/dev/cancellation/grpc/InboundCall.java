package dev.cancellation.grpc;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * One call a server is answering: its token, with the deadline of the call's {@link Context}, cancelled when that
 * context is (the client cancelled, the deadline passed, the transport broke), and, when calls are registered, its
 * task in the registry.
 *
 * <p>The context's cancellation listener is the signal, not {@code ServerCall.Listener.onCancel}: gRPC delivers
 * {@code onCancel} on the call's serializing executor, behind the service method that is still running, so it
 * would arrive only once the work it should stop has ended. The context is cancelled from the transport at once.
 *
 * <p>Thread-safety: {@link #close()} may be called from any thread (the call's executor, the context's cancel
 * executor) and acts once; the accessors are safe from any thread. The two cancel signals are serialized by a lock
 * (not a monitor: callbacks may block), so the second returns only once the first one's callbacks have run.
 */
final class InboundCall implements Context.CancellationListener {

    /** The reason of a call its client cancelled: kind {@code REQUESTED}, origin {@code client cancelled}. */
    static CancellationReason clientCancelled(@Nullable String description) {
        return CancellationReason.requested("the client cancelled the call"
                + ((description == null) ? "" : ": " + description), "client cancelled");
    }

    /** The least and the most of {@link #deadlineTolerance}. */
    private static final long MIN_TOLERANCE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MAX_TOLERANCE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String method;
    private final Context context;
    private final long deadlineToleranceNanos;
    private final CancellationSource source;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReentrantLock cancelling = new ReentrantLock();
    private final @Nullable TaskHandle task;

    /**
     * Opens the call in {@code context} (the call's own, current in {@code ServerInterceptor.interceptCall}).
     *
     * @param registry where to register the call as a task named {@code method}, {@code null} not to
     * @throws dev.cancellation.task.TaskRejectedException if the registry is shutting down (nothing is left open)
     */
    InboundCall(String method, Context context, @Nullable TaskRegistry registry) {
        this.method = method;
        this.context = context;
        Deadline deadline = context.getDeadline();
        long timeoutNanos = (deadline == null) ? 0 : Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS));
        this.source = (deadline == null) ? CancellationSource.create()
                : CancellationSource.withTimeout(Duration.ofNanos(timeoutNanos));
        this.deadlineToleranceNanos = Math.max(MIN_TOLERANCE_NANOS, Math.min(MAX_TOLERANCE_NANOS, timeoutNanos / 10));
        TaskHandle registered = null;
        if (registry != null) {
            try {
                // Never interrupted nor abandoned by the registry: the thread belongs to the server.
                registered = registry.start(new TaskSpec(method, source.token(), null, null, null, null));
            } catch (RuntimeException rejected) {
                source.close();
                throw rejected;
            }
            registered.token().onCancel(source::cancel); // an operator cancelling the task cancels the whole call
        }
        this.task = registered;
        context.addListener(this, Runnable::run);
    }

    /** The call's full method name. */
    String method() {
        return method;
    }

    /** The call's own token: cancelled by its deadline and its client. */
    CancellationToken callToken() {
        return source.token();
    }

    /** The token current in the service: the registered task's when there is one, else the call's. */
    CancellationToken token() {
        TaskHandle registered = task;
        return (registered != null) ? registered.token() : source.token();
    }

    /** The registered task, {@code null} when calls are not registered. */
    @Nullable TaskHandle task() {
        return task;
    }

    /** The call's context was cancelled: by its deadline, its client, the transport, or the call's normal end. */
    @Override
    public void cancelled(Context cancelled) {
        if (cancelled.cancellationCause() == null) {
            close(); // gRPC cancels the context without a cause when the call completed: nothing to stop
            return;
        }
        Status status = Contexts.statusFromCancelled(cancelled);
        cancel(status != null && status.getCode() == Status.Code.DEADLINE_EXCEEDED,
                (status == null) ? null : status.getDescription());
    }

    /**
     * gRPC reported the call cancelled to its listener ({@code ServerCall.Listener.onCancel}). Usually the context's
     * listener has cancelled the token already; but gRPC hands the context's cancellation and the listener's
     * {@code onCancel} to its executor as two separate tasks, so for a service that returned before it answered
     * (it completes on another thread) {@code onCancel} can come first, and the call's end must not pass for a
     * normal one: the token is cancelled here, with the reason the context gives when it is cancelled already.
     */
    void callCancelled() {
        if (context.isCancelled() && context.cancellationCause() != null) {
            cancelled(context);
        } else {
            cancel(false, null);
        }
    }

    /**
     * Cancels the token. The context's listener and {@code onCancel} run on two threads: without the lock the second
     * would see the token cancelled and go on while the first still runs the token's callbacks, and the service's
     * own cancel handler (grpc-kotlin's cancels the coroutine) would overtake them.
     */
    private void cancel(boolean deadlineExceeded, @Nullable String description) {
        cancelling.lock();
        try {
            cancelSource(deadlineExceeded, description);
        } finally {
            cancelling.unlock();
        }
    }

    private void cancelSource(boolean deadlineExceeded, @Nullable String description) {
        if (deadlineExceeded || atDeadline()) {
            // Our own timer fires at the same instant; whichever comes first gives the same kind of reason.
            source.cancel(new CancellationReason(CancellationReason.Kind.TIMEOUT,
                    "the deadline of the call passed", java.time.Instant.now(), "deadline"));
        } else {
            source.cancel(clientCancelled(description));
        }
    }

    /**
     * Whether the call's deadline has passed, or nearly: a gRPC client whose deadline passes cancels the call with
     * the same {@code RST_STREAM} as a deliberate cancel, and it reaches the server about when the server's copy of
     * the deadline (started later, by the network's latency) passes, a little before or after. A cancel within a
     * tenth of the call's timeout (20 ms at least, 1 s at most) of its deadline counts as the deadline.
     */
    private boolean atDeadline() {
        Deadline deadline = context.getDeadline();
        return deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= deadlineToleranceNanos;
    }

    /** Whether {@link #close()} ran. */
    boolean isClosed() {
        return closed.get();
    }

    /**
     * Ends the call: its task (if any) exits (cancelled if the call token was), the context listener is removed,
     * and the token source is closed without cancelling. Idempotent.
     */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            TaskHandle registered = task;
            if (registered != null && !registered.hasExited()) {
                CancellationReason reason = registered.token().reason().orElse(null);
                registered.exit((reason == null) ? null : TaskCancelledException.of(reason));
            }
        } finally {
            context.removeListener(this);
            source.close();
        }
    }
}
