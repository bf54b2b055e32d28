package dev.cancellation.messaging;

import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One listener invocation in flight: a registered task whose token is cancelled by the message's deadline, a
 * container stop, a rebalance, an operator or shutdown.
 *
 * <p>An asynchronous listener (a method returning a {@code CompletableFuture} or a {@code Mono}) {@linkplain
 * #endsWith ends with its result}: the invocation stays in flight, cancellable and drained, until the result
 * completes, not when the method returns.
 *
 * <p>Thread-safety: {@link #attach()} binds the calling thread and is closed on it; {@link #exit} is called once,
 * from any thread (an async listener's result completes elsewhere); the accessors from any thread.
 */
public final class ListenerInvocation {

    /** The invocation attached on this thread (set by {@link #attach()}, cleared by {@link #exit}). */
    private static final ThreadLocal<@Nullable ListenerInvocation> ATTACHED = new ThreadLocal<>();

    private final TaskHandle task;
    private final Consumer<ListenerInvocation> onExit;
    private final AtomicBoolean exited = new AtomicBoolean();
    private volatile @Nullable CompletableFuture<?> result;
    private volatile boolean returned;
    private volatile Function<TaskCancelledException, Throwable> cancelFailure = cancelled -> cancelled;

    ListenerInvocation(TaskHandle task, Consumer<ListenerInvocation> onExit) {
        this.task = task;
        this.onExit = onExit;
    }

    /** The invocation's task. */
    public TaskHandle task() {
        return task;
    }

    /** The invocation's token: the parent of everything the listener body does. */
    public CancellationToken token() {
        return task.token();
    }

    /** What identifies the message (partition and offset, message id). */
    public Map<String, String> attributes() {
        return task.info().attributes();
    }

    /**
     * Makes the token current on the calling thread (and lets the registry's escalation see it) until the returned
     * attachment is closed, on the same thread.
     */
    public TaskAttachment attach() {
        TaskAttachment attachment = task.attach();
        ATTACHED.set(this);
        return attachment;
    }

    /**
     * The invocation whose listener is running on the calling thread, if its token (or a descendant of it, a
     * {@code @Cancellable} call's) is current: what a listener method's own advice sees.
     */
    public static @Nullable ListenerInvocation current() {
        ListenerInvocation invocation = ATTACHED.get();
        if (invocation == null || invocation.hasExited()) {
            return null;
        }
        CancellationToken current = CancellationToken.current();
        CancellationToken own = invocation.token();
        return (current == own || current.isDescendantOf(own)) ? invocation : null;
    }

    /**
     * The listener returned {@code result}, which the framework completes later (an asynchronous listener): the
     * invocation ends when it completes, with its failure, rather than when the listener returns. Call on the
     * listener's thread, before the listener returns to the container.
     */
    public void endsWith(CompletableFuture<?> result) {
        this.result = result;
        result.whenComplete((value, failure) -> {
            if (returned) {
                finish(unwrap(failure));
            }
        });
    }

    /**
     * Ends the invocation with the body's {@code failure} ({@code null} if it returned normally) and returns what
     * the container should see, as {@link TaskHandle#exit}: the failure, a {@code TaskCancelledException} with the
     * reason when the body stopped because of a cancel, or {@code null}. Only the first call acts; later calls return
     * {@code failure}. After {@link #endsWith}, a {@code null} failure returns {@code null} and the invocation ends
     * when the result completes.
     */
    public @Nullable Throwable exit(@Nullable Throwable failure) {
        if (ATTACHED.get() == this) {
            ATTACHED.remove();
        }
        CompletableFuture<?> pending = result;
        if (pending != null && failure == null) {
            // an asynchronous listener returned: the invocation ends with its result
            returned = true;
            if (pending.isDone()) {
                Throwable outcome = pending.handle((value, thrown) -> thrown).join();
                finish(unwrap(outcome));
            }
            return null;
        }
        return finish(failure);
    }

    private @Nullable Throwable finish(@Nullable Throwable failure) {
        if (!exited.compareAndSet(false, true)) {
            return failure;
        }
        try {
            return task.exit(failure);
        } finally {
            onExit.accept(this);
        }
    }

    private static @Nullable Throwable unwrap(@Nullable Throwable failure) {
        return (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause() : failure;
    }

    /**
     * What an asynchronous result fails with when the invocation is cancelled: the edge's translation of the
     * cancel into what its framework understands (RabbitMQ: reject or requeue); the cancel itself by default.
     */
    public void setCancelFailure(Function<TaskCancelledException, Throwable> cancelFailure) {
        this.cancelFailure = cancelFailure;
    }

    /** The failure an asynchronous result of this invocation gets for {@code cancelled}. */
    public Throwable cancelFailure(TaskCancelledException cancelled) {
        return cancelFailure.apply(cancelled);
    }

    /** Whether {@link #exit} ran. */
    public boolean hasExited() {
        return exited.get();
    }

    @Override
    public String toString() {
        return task.toString();
    }
}
