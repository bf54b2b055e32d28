package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.InterruptibleSection;
import org.jspecify.annotations.Nullable;

/**
 * A thread running a task's code, from {@link TaskHandle#attach()} until {@link #close()}: while attached, the
 * task's token is bound as current on it, and escalation may interrupt it.
 *
 * <p>An {@link InterruptibleSection}: an interrupt is never delivered after {@link #close()} returns, and closing
 * consumes only an interrupt that escalation delivered, so a pooled thread is never left interrupted.
 *
 * <p>Thread-safety: {@link #close()} on the attached thread; {@link #interruptDelivered()} from any thread.
 */
public final class TaskAttachment extends InterruptibleSection implements AutoCloseable {

    private final TaskHandle task;
    /** The binding to undo at close; {@code null} when the registry bound the token itself. */
    private final Cancellation.@Nullable Scope scope;

    TaskAttachment(TaskHandle task, Thread thread, Cancellation.@Nullable Scope scope) {
        super(thread, false);
        this.task = task;
        this.scope = scope;
    }

    Thread thread() {
        return owner();
    }

    boolean interrupt() {
        return interruptOwner();
    }

    @Override
    protected void beforeInterrupt() {
        task.markInterruptDelivered();
    }

    /** Whether escalation interrupted this thread while attached. */
    @Override
    public boolean interruptDelivered() {
        return super.interruptDelivered();
    }

    /**
     * Detaches: restores the previous token and consumes an interrupt that escalation delivered. Call on the
     * attached thread. Idempotent.
     */
    @Override
    public void close() {
        if (!leave()) {
            return;
        }
        task.detached(this);
        if (scope != null) {
            scope.close();
        }
    }
}
