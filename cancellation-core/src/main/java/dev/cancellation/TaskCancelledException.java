package dev.cancellation;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when work stops because its {@link CancellationToken} was cancelled.
 *
 * <p>It extends {@link CancellationException}, so code that already handles {@code Future.cancel} keeps working.
 * A timeout is a {@link TaskTimeoutException}; use {@link #of(CancellationReason)} to get the right type for a
 * reason.
 *
 * <p>What a caller of {@code Future.get()} or {@code CompletableFuture.join()} catches depends on the Java
 * version and on the stage it waits on: the exception itself, a {@link CancellationException} whose cause it is
 * (Java 23 and later), or an {@code ExecutionException} / {@code CompletionException} wrapping it.
 * {@link #find(Throwable)} gets it out of any of them.
 */
public class TaskCancelledException extends CancellationException {

    private static final long serialVersionUID = 1L;

    private final transient CancellationReason reason;

    /**
     * Creates an exception for the given reason.
     *
     * @param reason why the work was cancelled
     */
    public TaskCancelledException(CancellationReason reason) {
        this(reason, null);
    }

    /**
     * Creates an exception for the given reason with a message prefix (typically the task name).
     *
     * @param reason why the work was cancelled
     * @param context what was cancelled, e.g. {@code "ReportService.render"}
     */
    public TaskCancelledException(CancellationReason reason, @Nullable String context) {
        super(((context == null) ? "" : context + ": ") + Objects.requireNonNull(reason, "reason").describe());
        this.reason = reason;
    }

    /** The exception type matching the reason: {@link TaskTimeoutException} for a timeout. */
    public static TaskCancelledException of(CancellationReason reason) {
        return of(reason, null);
    }

    /** The exception type matching the reason, with a message prefix naming what was cancelled. */
    public static TaskCancelledException of(CancellationReason reason, @Nullable String context) {
        return reason.isTimeout() ? new TaskTimeoutException(reason, context) : new TaskCancelledException(reason, context);
    }

    /**
     * The {@code TaskCancelledException} that stopped the work, found in {@code failure} itself or its chain of
     * causes, whatever wraps it: the {@code CancellationException} that {@code CompletableFuture.get()},
     * {@code join()} and {@code getNow()} throw on Java 23 and later, an {@code ExecutionException}, a
     * {@code CompletionException}, or an exception of the application's own. The innermost wrapper does not
     * matter; the first {@code TaskCancelledException} from the outside wins.
     *
     * <p>Safe to call from any thread; it only reads the chain (and stops at a cycle).
     *
     * @param failure what was thrown or what a stage completed with
     * @return the exception, with its {@link #reason()}; empty if there is none in the chain (for example a plain
     *     {@code Future.cancel}, whose {@code CancellationException} carries no reason)
     */
    public static Optional<TaskCancelledException> find(@Nullable Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable current = failure; current != null && seen.add(current); current = current.getCause()) {
            if (current instanceof TaskCancelledException cancelled) {
                return Optional.of(cancelled);
            }
        }
        return Optional.empty();
    }

    /** Why the work was cancelled. */
    public CancellationReason reason() {
        return reason;
    }
}
