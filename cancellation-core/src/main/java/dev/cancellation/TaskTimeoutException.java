package dev.cancellation;

import org.jspecify.annotations.Nullable;

/** A {@link TaskCancelledException} whose reason is a {@link CancellationReason.Kind#TIMEOUT timeout}. */
public class TaskTimeoutException extends TaskCancelledException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception for a timeout reason. */
    public TaskTimeoutException(CancellationReason reason) {
        super(reason);
    }

    /** Creates an exception for a timeout reason with a message prefix naming what timed out. */
    public TaskTimeoutException(CancellationReason reason, @Nullable String context) {
        super(reason, context);
    }
}
