package dev.cancellation.task;

import dev.cancellation.CancellationReason;

/**
 * What a {@link TaskHandle} reports to its registry's parts, and asks of them: ids and the id index, the
 * escalation sweeper, listener events, the live table, the cleanup runner. One per registry.
 *
 * <p>Thread-safety: every method may be called from any thread; each delegates to a part that is thread-safe.
 */
final class TaskEvents {

    private static final System.Logger LOGGER = System.getLogger(TaskRegistry.class.getName());

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

    String newId() {
        return live.newId();
    }

    boolean index(String id, TaskHandle handle) {
        return live.index(id, handle);
    }

    void unindex(String id, TaskHandle handle) {
        live.unindex(id, handle);
    }

    /** Hands a cancelled task to the escalation sweeper, its first step due at {@code dueNanos}. */
    void escalate(TaskHandle handle, long dueNanos) {
        escalations.add(handle, dueNanos);
    }

    /** A task handed to the sweeper has exited. */
    void escalationExited() {
        escalations.exited();
    }

    void cancelRequested(TaskHandle handle, CancellationReason reason) {
        listeners.cancelRequested(handle, reason);
    }

    /** See {@link ListenerDispatch#exited}. */
    void exited(TaskHandle handle, TaskOutcome outcome, long runNanos, long stopLatencyNanos, Throwable failure) {
        listeners.exited(handle, outcome, runNanos, stopLatencyNanos, failure);
    }

    void abandoned(TaskHandle handle) {
        live.countAbandoned();
        TaskInfo info = handle.info();
        LOGGER.log(System.Logger.Level.WARNING, () -> "Task " + info.id() + " (" + info.name()
                + ") abandoned: still running on " + info.thread() + " after its grace periods");
        listeners.abandoned(info);
    }

    void remove(TaskHandle handle) {
        live.remove(handle);
    }

    /** See {@link CleanupRunner#run}. */
    void runCleanup(TaskHandle handle, CleanupAction action, CancellationReason reason, boolean onExitingThread) {
        cleanups.run(handle, action, reason, onExitingThread);
    }
}
