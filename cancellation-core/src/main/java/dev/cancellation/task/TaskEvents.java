package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import org.jspecify.annotations.Nullable;

/**
 * The registry's side of {@link TaskHandle.Events}: each thing a handle reports or asks goes to the part that
 * handles it (ids and the id index, the escalation sweeper, listener events, the live table, the cleanup runner).
 * One per registry, shared by its handles, so that a handle holds one reference for all of them.
 *
 * <p>Thread-safety: every method may be called from any thread; each delegates to a part that is thread-safe.
 */
final class TaskEvents implements TaskHandle.Events {

    private final LiveTasks live;
    private final ListenerDispatch listeners;
    private final Escalations escalations;
    private final CleanupRunner cleanups;

    TaskEvents(LiveTasks live, ListenerDispatch listeners, Escalations escalations, CleanupRunner cleanups) {
        this.live = live;
        this.listeners = listeners;
        this.escalations = escalations;
        this.cleanups = cleanups;
    }

    @Override
    public String newId() {
        return live.newId();
    }

    @Override
    public boolean index(String id, TaskHandle handle) {
        return live.index(id, handle);
    }

    @Override
    public void unindex(String id, TaskHandle handle) {
        live.unindex(id, handle);
    }

    @Override
    public void escalate(TaskHandle handle, long dueNanos) {
        escalations.add(handle, dueNanos);
    }

    @Override
    public void escalationExited() {
        escalations.exited();
    }

    @Override
    public void cancelRequested(TaskHandle handle, CancellationReason reason) {
        listeners.cancelRequested(handle, reason);
    }

    @Override
    public void exited(TaskHandle handle, TaskOutcome outcome, long runNanos, long stopLatencyNanos,
            @Nullable Throwable failure) {
        listeners.exited(handle, outcome, runNanos, stopLatencyNanos, failure);
    }

    @Override
    public void abandoned(TaskHandle handle) {
        live.countAbandoned();
        TaskInfo info = handle.info();
        TaskLog.LOGGER.log(System.Logger.Level.WARNING, () -> "Task " + info.id() + " (" + info.name()
                + ") abandoned: still running on " + info.thread() + " after its grace periods");
        listeners.abandoned(info);
    }

    @Override
    public void remove(TaskHandle handle) {
        live.remove(handle);
    }

    @Override
    public void runCleanup(TaskHandle handle, CleanupAction action, CancellationReason reason,
            boolean onExitingThread) {
        cleanups.run(handle, action, reason, onExitingThread);
    }
}
