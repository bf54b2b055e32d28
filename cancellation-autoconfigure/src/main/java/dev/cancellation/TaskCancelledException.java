package dev.cancellation;

import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * Thrown when work stops because its {@link CancellationToken} was cancelled.
 *
 * <p>It extends {@link CancellationException}, so code that already handles {@code Future.cancel} keeps working.
 * A timeout is a {@link TaskTimeoutException}; use {@link #of(CancellationReason)} to get the right type for a
 * reason.
 */
public class TaskCancelledException extends CancellationException {

    private static final long serialVersionUID = 1L;

    private final transient CancellationReason reason;

    /**
     * Creates an exception for the given reason.
     *
     * @param reason why the work was cancelled, never {@code null}
     */
    public TaskCancelledException(CancellationReason reason) {
        this(reason, null);
    }

    /**
     * Creates an exception for the given reason with a message prefix (typically the task name).
     *
     * @param reason why the work was cancelled, never {@code null}
     * @param context what was cancelled, e.g. {@code "ReportService.render"}; may be {@code null}
     */
    public TaskCancelledException(CancellationReason reason, String context) {
        super(((context == null) ? "" : context + ": ") + Objects.requireNonNull(reason, "reason").describe());
        this.reason = reason;
    }

    /** The exception type matching the reason: {@link TaskTimeoutException} for a timeout. */
    public static TaskCancelledException of(CancellationReason reason) {
        return of(reason, null);
    }

    /** The exception type matching the reason, with a message prefix naming what was cancelled. */
    public static TaskCancelledException of(CancellationReason reason, String context) {
        return reason.isTimeout() ? new TaskTimeoutException(reason, context) : new TaskCancelledException(reason, context);
    }

    /** Why the work was cancelled. */
    public CancellationReason reason() {
        return reason;
    }
}
