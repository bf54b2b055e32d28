package dev.cancellation;

import java.util.List;

/**
 * Reports the callbacks that threw while a token was being cancelled: one per cancellation, each failure
 * attached as a {@linkplain #getSuppressed() suppressed} exception. Delivered to the
 * {@linkplain Cancellation#setCallbackFailureHandler callback failure handler}; never thrown by {@code cancel}.
 */
public class CancellationCallbackException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient CancellationReason reason;

    /** Creates a report of the failures of callbacks run for {@code reason}. */
    public CancellationCallbackException(CancellationReason reason, List<Throwable> failures) {
        super(failures.size() + " cancellation callback(s) failed while cancelling with " + reason.describe());
        this.reason = reason;
        failures.forEach(this::addSuppressed);
    }

    /** The reason of the cancellation whose callbacks failed. */
    public CancellationReason reason() {
        return reason;
    }
}
