package dev.cancellation.task;

/**
 * The logger of the task registry and its parts, kept apart from {@link TaskRegistry} so that the parts log
 * without reaching up into the facade.
 *
 * <p>Thread-safety: a constant; {@link System.Logger} may be used from any thread.
 */
final class TaskLog {

    /** Named after {@code TaskRegistry}, the name logging configurations know it by. */
    static final System.Logger LOGGER = System.getLogger("dev.cancellation.task.TaskRegistry");

    private TaskLog() {
    }
}
