package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.util.Objects;
import org.springframework.context.ApplicationEvent;

/**
 * Published when a registered task is cancelled (directly, through its parent, by its timeout or at shutdown),
 * once per task, at the moment of the cancel request: the task's code may still be running.
 *
 * <p>Listeners run on the cancelling thread (for timeouts, a thread of the library's callback pool, never the
 * shared timer thread): keep them short, or make them {@code @Async}.
 */
public class TaskCancelledEvent extends ApplicationEvent {

    private static final long serialVersionUID = 1L;

    private final transient TaskInfo task;

    private final transient CancellationReason reason;

    /** An event for {@code task}, cancelled for {@code reason}, published by {@code registry}. */
    public TaskCancelledEvent(TaskRegistry registry, TaskInfo task, CancellationReason reason) {
        super(registry);
        this.task = Objects.requireNonNull(task, "task");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The task, as it was when it was cancelled. */
    public TaskInfo getTask() {
        return task;
    }

    /** Why it was cancelled. */
    public CancellationReason getReason() {
        return reason;
    }

    @Override
    public String toString() {
        return "TaskCancelledEvent[" + task.name() + " " + task.id() + ": " + reason.describe() + "]";
    }
}
