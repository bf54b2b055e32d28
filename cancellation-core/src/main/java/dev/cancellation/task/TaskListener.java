package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Receives task lifecycle events from a {@link TaskRegistry}: the hook for metrics, observations, application
 * events and logs. Methods run synchronously on the thread where the event happens (the task's thread, a
 * cancelling thread, for timeouts a thread of the callback pool (never the timer thread), the escalation
 * sweeper or a cleanup thread): keep them fast and non-blocking. An exception thrown by a
 * listener is logged and ignored.
 *
 * <p>Cost: the registry notes which of these methods a listener overrides when it is added, and builds the
 * {@link TaskInfo} snapshot of an event only if some listener overrides that event's method (once per event,
 * shared by all listeners). A listener that only cares about cancellations therefore adds nothing to the cost of
 * tasks that complete normally. Listeners that are JDK proxies or otherwise implement every method receive every
 * event.
 */
public interface TaskListener {

    /** A task was registered. */
    default void onStarted(TaskInfo task) {
    }

    /**
     * A live task's token was cancelled (directly, through a parent, a deadline or shutdown). It runs on the
     * cancelling thread (for a deadline, the callback pool); if the task's code exits before that thread reports
     * it, the exit reports it first, just before {@code onExited}. Never lost for a task cancelled while it runs;
     * when the cancel and the exit race, it may still arrive while {@code onExited} is being delivered.
     */
    default void onCancelRequested(TaskInfo task, CancellationReason reason) {
    }

    /**
     * A task's code exited.
     *
     * @param runTime from start to exit
     * @param stopLatency from the cancel request to exit; {@code null} if the task was not cancelled
     */
    default void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, @Nullable Duration stopLatency) {
    }

    /**
     * A task's code exited, with what it threw. The registry calls this method; by default it delegates to
     * {@link #onExited(TaskInfo, TaskOutcome, Duration, Duration)}, so a listener overrides whichever it needs.
     *
     * @param runTime from start to exit
     * @param stopLatency from the cancel request to exit; {@code null} if the task was not cancelled
     * @param failure what the task's code threw (before any translation into a
     *     {@link dev.cancellation.TaskCancelledException}); {@code null} if it returned normally
     */
    default void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, @Nullable Duration stopLatency,
            @Nullable Throwable failure) {
        onExited(task, outcome, runTime, stopLatency);
    }

    /** A cancelled task did not stop within its grace periods and is no longer waited for. */
    default void onAbandoned(TaskInfo task) {
    }

    /** A task's cleanup ended; {@code failure} is set for {@link CleanupOutcome#FAILED}. */
    default void onCleanupFinished(TaskInfo task, CleanupOutcome outcome, Duration duration,
            @Nullable Throwable failure) {
    }

    /** A task left the live table (its terminal state is in {@code task}). */
    default void onRemoved(TaskInfo task) {
    }

    /**
     * Whether {@code onExited} and {@code onRemoved} should also be called for tasks that complete normally
     * ({@link TaskOutcome#COMPLETED}, never cancelled). A listener that cares only about cancellations and
     * failures returns {@code false}: the registry then ends such tasks without a snapshot for it, and a
     * synchronous task that nobody observed ends without ever getting a handle (see
     * {@link TaskRegistry#begin}). Asked when the listener is added. Default {@code true}.
     */
    default boolean observesCompletions() {
        return true;
    }
}
