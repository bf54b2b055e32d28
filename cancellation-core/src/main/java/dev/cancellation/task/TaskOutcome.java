package dev.cancellation.task;

/** How a task's code exited: the {@code outcome} of metrics and observations. */
public enum TaskOutcome {
    /** Returned normally. */
    COMPLETED,
    /** Threw an exception not caused by cancellation. */
    FAILED,
    /** Stopped because it was cancelled (requested or shutdown). */
    CANCELLED,
    /** Stopped because its deadline passed. */
    TIMEOUT;

    /** The lower-case tag value, e.g. {@code "timeout"}. */
    public String tagValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
