package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import java.time.Duration;

/**
 * Receives task lifecycle events from a {@link TaskRegistry}: the hook for metrics, observations, application
 * events and logs. Methods run synchronously on the thread where the event happens (the task's thread, a
 * cancelling thread, the timer or a cleanup thread): keep them fast and non-blocking. An exception thrown by a
 * listener is logged and ignored.
 */
public interface TaskListener {

    /** A task was registered. */
    default void onStarted(TaskInfo task) {
    }

    /** A live task's token was cancelled (directly, through a parent, a deadline or shutdown). */
    default void onCancelRequested(TaskInfo task, CancellationReason reason) {
    }

    /**
     * A task's code exited.
     *
     * @param runTime from start to exit
     * @param stopLatency from the cancel request to exit, or {@code null} if the task was not cancelled
     */
    default void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, Duration stopLatency) {
    }

    /** A cancelled task did not stop within its grace periods and is no longer waited for. */
    default void onAbandoned(TaskInfo task) {
    }

    /** A task's cleanup ended; {@code failure} is set for {@link CleanupOutcome#FAILED}. */
    default void onCleanupFinished(TaskInfo task, CleanupOutcome outcome, Duration duration, Throwable failure) {
    }

    /** A task left the live table (its terminal state is in {@code task}). */
    default void onRemoved(TaskInfo task) {
    }
}
