package dev.cancellation.messaging;

import dev.cancellation.CancellationToken;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One listener invocation in flight: a registered task whose token is cancelled by the message's deadline, a
 * container stop, a rebalance, an operator or shutdown.
 *
 * <p>Thread-safety: {@link #attach()} binds the calling thread and is closed on it; {@link #exit} is called once,
 * from any thread (an async listener's result completes elsewhere); the accessors from any thread.
 */
public final class ListenerInvocation {

    private final TaskHandle task;
    private final Consumer<ListenerInvocation> onExit;
    private final AtomicBoolean exited = new AtomicBoolean();

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
        return task.attach();
    }

    /**
     * Ends the invocation with the body's {@code failure} ({@code null} if it returned normally) and returns what
     * the container should see, as {@link TaskHandle#exit}: the failure, a {@code TaskCancelledException} with the
     * reason when the body stopped because of a cancel, or {@code null}. Only the first call acts; later calls return
     * {@code failure}.
     */
    public @Nullable Throwable exit(@Nullable Throwable failure) {
        if (!exited.compareAndSet(false, true)) {
            return failure;
        }
        try {
            return task.exit(failure);
        } finally {
            onExit.accept(this);
        }
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
