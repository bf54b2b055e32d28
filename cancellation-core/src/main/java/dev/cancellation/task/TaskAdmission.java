package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import org.jspecify.annotations.Nullable;

/**
 * A registry's door: whether it still admits tasks, and the start of a task with a handle (listed, announced to
 * the listeners, then made to react to its cancellation, in that order). The registry's shutdown closes it.
 *
 * <p>Thread-safety: every method may be called from any thread; the door is one volatile flag. A start that races
 * the closing reads the flag again once its task is listed and cancels the task itself if it lost, so a shutdown
 * never misses a task.
 */
final class TaskAdmission {

    private final TaskHandle.Events events;
    private final LiveTasks live;
    private final ListenerDispatch listeners;
    private volatile boolean open = true;

    TaskAdmission(TaskHandle.Events events, LiveTasks live, ListenerDispatch listeners) {
        this.events = events;
        this.live = live;
        this.listeners = listeners;
    }

    /** Whether new tasks are admitted (until {@link #close()}). */
    boolean isOpen() {
        return open;
    }

    /** Admits no task from now on. */
    void close() {
        open = false;
    }

    /**
     * Registers a task with a handle, its token a child of {@code parent} ({@code null}: a root); see
     * {@link TaskRegistry#start(TaskSpec, CancellationToken)}.
     *
     * @throws TaskRejectedException if the door is closed
     */
    TaskHandle start(TaskSpec spec, @Nullable CancellationToken parent) {
        if (!open) {
            throw new TaskRejectedException(spec.name());
        }
        CancellationToken parentToken = (parent == null) ? CancellationToken.none() : parent;
        TaskHandle parentTask = parentToken.isNone() ? null : live.get(parentToken);
        TaskHandle handle = new TaskHandle(events, spec, parentToken, parentTask);
        live.add(handle);
        listeners.started(handle);
        // Only now react to cancellation, so that listeners see onStarted before onCancelRequested even when the
        // parent is already cancelled.
        handle.activate();
        if (!open) { // lost a race with shutdown: it may not have seen this task
            handle.cancel(CancellationReason.shutdown("registry"));
        }
        return handle;
    }
}
