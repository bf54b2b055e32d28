package dev.cancellation.micrometer;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskOutcome;
import io.micrometer.observation.Observation;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@link Observation.Context} of a task's {@code cancellation.task} observation: the task as it was when it
 * started, and, once its code has exited, the outcome and the cancellation reason.
 *
 * <p>Thread-safety: the task is fixed; the outcome and reason are written once (by the thread on which the task
 * exits) before the observation is stopped and read by the handlers that stop it, so they are volatile.
 */
public class TaskObservationContext extends Observation.Context {

    private final TaskInfo task;

    private volatile @Nullable TaskOutcome outcome;

    private volatile @Nullable CancellationReason reason;

    /** A context for {@code task}, which has just started. */
    public TaskObservationContext(TaskInfo task) {
        this.task = Objects.requireNonNull(task, "task");
    }

    /** The task, as it was when it started. */
    public TaskInfo getTask() {
        return task;
    }

    /** How the task's code exited; {@code null} while it runs. */
    public @Nullable TaskOutcome getOutcome() {
        return outcome;
    }

    /** Sets how the task's code exited. */
    public void setOutcome(TaskOutcome outcome) {
        this.outcome = outcome;
    }

    /** Why the task was cancelled; {@code null} if it was not (or still runs). */
    public @Nullable CancellationReason getReason() {
        return reason;
    }

    /** Sets why the task was cancelled, {@code null} if it was not. */
    public void setReason(@Nullable CancellationReason reason) {
        this.reason = reason;
    }
}
