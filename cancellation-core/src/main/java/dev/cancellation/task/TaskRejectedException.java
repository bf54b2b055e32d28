package dev.cancellation.task;

/** Thrown when a task is started on a registry that no longer admits tasks because it is shutting down. */
public class TaskRejectedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception naming the rejected task. */
    public TaskRejectedException(String taskName) {
        super("Task '" + taskName + "' rejected: the task registry is shutting down and admits no new tasks");
    }
}
