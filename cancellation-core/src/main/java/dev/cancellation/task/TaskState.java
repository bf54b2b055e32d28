package dev.cancellation.task;

/**
 * Where a task is in its life. {@code RUNNING}, {@code CANCELLING} and {@code CLEANING_UP} are live states;
 * the others are terminal. {@code ABANDONED} is terminal too, but an abandoned task stays listed among the
 * running ones while its thread is still running its code.
 */
public enum TaskState {
    /** Running, not cancelled. */
    RUNNING,
    /** Cancelled; its code has not exited yet. */
    CANCELLING,
    /** Cancelled and exited; its {@code @OnCancel} cleanup is running. */
    CLEANING_UP,
    /** Returned normally (possibly despite a cancel). */
    COMPLETED,
    /** Threw an exception that was not caused by cancellation. */
    FAILED,
    /** Stopped because it was cancelled, and cleaned up. */
    CANCELLED,
    /** Did not stop within its grace periods after being cancelled (and interrupted); no longer waited for. */
    ABANDONED;

    /** Whether no further transition can happen. */
    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED || this == ABANDONED;
    }
}
