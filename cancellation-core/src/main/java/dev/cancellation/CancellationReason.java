package dev.cancellation;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Why a token was cancelled: the {@link Kind}, a human-readable message, when it happened and who did it.
 *
 * <p>A reason is attached once, by the first successful {@link CancellationSource#cancel(CancellationReason)};
 * every descendant token reports the <em>same</em> reason instance as the ancestor that was cancelled, so a task
 * can tell whether it timed out itself or was swept up by its parent's cancellation.
 *
 * @param kind what triggered the cancellation
 * @param message a short human-readable description
 * @param at when the cancellation was requested
 * @param origin who cancelled: an operator's name, {@code "deadline"}, {@code "shutdown"}, a parent task id
 */
public record CancellationReason(Kind kind, String message, Instant at, String origin) {

    /** What triggered a cancellation. */
    public enum Kind {
        /** Someone asked for it: application code, an operator, a race that was lost. */
        REQUESTED,
        /** A deadline or timeout passed. */
        TIMEOUT,
        /** The application is shutting down. */
        SHUTDOWN
    }

    /**
     * Creates a reason; a {@code null} message becomes {@code ""}, a {@code null} origin {@code "unknown"}.
     *
     * @throws NullPointerException if {@code kind} or {@code at} is {@code null}
     */
    public CancellationReason(Kind kind, @Nullable String message, Instant at, @Nullable String origin) {
        this.kind = Objects.requireNonNull(kind, "kind");
        this.message = (message == null) ? "" : message;
        this.at = Objects.requireNonNull(at, "at");
        this.origin = (origin == null) ? "unknown" : origin;
    }

    /** A {@link Kind#REQUESTED} reason, now, with the given origin (e.g. an operator's name). */
    public static CancellationReason requested(@Nullable String origin) {
        return new CancellationReason(Kind.REQUESTED, "cancelled on request", Instant.now(), origin);
    }

    /** A {@link Kind#REQUESTED} reason, now, with a message and an origin. */
    public static CancellationReason requested(@Nullable String message, @Nullable String origin) {
        return new CancellationReason(Kind.REQUESTED, message, Instant.now(), origin);
    }

    /** A {@link Kind#TIMEOUT} reason for a timeout of the given length that has just expired. */
    public static CancellationReason timeout(Duration timeout) {
        return new CancellationReason(Kind.TIMEOUT, "timed out after " + format(timeout), Instant.now(), "deadline");
    }

    /** A {@link Kind#TIMEOUT} reason for a deadline that has just passed. */
    public static CancellationReason deadlineExceeded(Instant deadline) {
        return new CancellationReason(Kind.TIMEOUT, "deadline " + deadline + " exceeded", Instant.now(), "deadline");
    }

    /** A {@link Kind#SHUTDOWN} reason, now. */
    public static CancellationReason shutdown(@Nullable String origin) {
        return new CancellationReason(Kind.SHUTDOWN, "application is shutting down", Instant.now(), origin);
    }

    /** {@code true} for {@link Kind#TIMEOUT}. */
    public boolean isTimeout() {
        return kind == Kind.TIMEOUT;
    }

    /** A one-line description, e.g. {@code TIMEOUT (timed out after 500ms) by deadline}. */
    public String describe() {
        return kind + " (" + message + ") by " + origin;
    }

    static String format(Duration duration) {
        if (duration.isZero() || duration.isNegative() || duration.getSeconds() >= 120) {
            return duration.toString(); // also keeps toMillis()/toNanos() below from overflowing
        }
        long millis = duration.toMillis();
        if (millis < 1000 && duration.toNanos() % 1_000_000 == 0) {
            return millis + "ms";
        }
        if (duration.toNanos() % 1_000_000_000 == 0 && duration.getSeconds() < 120) {
            return duration.getSeconds() + "s";
        }
        return duration.toString();
    }
}
