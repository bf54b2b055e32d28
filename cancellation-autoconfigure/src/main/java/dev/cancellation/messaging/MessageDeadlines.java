package dev.cancellation.messaging;

import dev.cancellation.CancellationToken;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The deadline a message carries: written by a sender under a token with a deadline, read by the listener that
 * receives it. Messages wait in queues, so the header holds the <em>absolute</em> deadline, in epoch milliseconds
 * (a relative budget would restart at every hop and never expire while queued).
 *
 * <p>Clocks: the sender's and the receiver's wall clocks are compared, so hosts are expected to be NTP-synchronised.
 * {@code clockSkewTolerance} is added to every deadline read, in the sender's favour: with a tolerance of 100 ms a
 * message is expired only 100 ms after its deadline as the receiver's clock tells it, and runs with 100 ms more
 * than the raw difference. A deadline never lifts a listener's own timeout: the invocation's budget is the earlier
 * of the two.
 *
 * <p>Thread-safety: immutable; every method may be called from any thread.
 */
public final class MessageDeadlines {

    /** The header name used unless configured otherwise. */
    public static final String DEFAULT_HEADER = "cancellation-deadline";

    private static final int MAX_SHOWN = 64;

    private final String header;
    private final Duration clockSkewTolerance;
    private final Clock clock;

    /**
     * @param header the header that carries the deadline
     * @param clockSkewTolerance added to every deadline read; not negative
     * @param clock the receiver's wall clock
     */
    public MessageDeadlines(String header, Duration clockSkewTolerance, Clock clock) {
        if (header == null || header.isBlank()) {
            throw new IllegalArgumentException("cancellation.messaging.deadline-header must not be blank");
        }
        if (clockSkewTolerance == null || clockSkewTolerance.isNegative()) {
            throw new IllegalArgumentException("cancellation.messaging.clock-skew-tolerance must not be negative, "
                    + "but was " + clockSkewTolerance);
        }
        this.header = header;
        this.clockSkewTolerance = clockSkewTolerance;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The default header, no tolerance, the system clock. */
    public static MessageDeadlines defaults() {
        return new MessageDeadlines(DEFAULT_HEADER, Duration.ZERO, Clock.systemUTC());
    }

    /** The header's name. */
    public String header() {
        return header;
    }

    /** The value to write for a message sent under {@code token}: its deadline in epoch milliseconds, or none. */
    public @Nullable String encode(CancellationToken token) {
        return token.deadline().map(deadline -> Long.toString(deadline.toEpochMilli())).orElse(null);
    }

    /**
     * Reads a received message's header value (a {@code String}, the UTF-8 bytes of one, or a {@code Number}) into
     * what the listener invocation gets.
     *
     * @param value the header's value; {@code null} when the message has none
     * @param destination where the message came from, for the error
     * @throws MessageDeadlineException if the value is not epoch milliseconds
     */
    public Admission admit(@Nullable Object value, String destination) {
        if (value == null) {
            return Admission.NONE;
        }
        long epochMillis = parse(value, destination);
        Instant deadline = Instant.ofEpochMilli(epochMillis).plus(clockSkewTolerance);
        Duration left = Duration.between(clock.instant(), deadline);
        return new Admission(deadline, left.isNegative() ? Duration.ZERO : left);
    }

    private long parse(Object value, String destination) {
        if (value instanceof Number number) {
            long millis = number.longValue();
            if (millis > 0) {
                return millis;
            }
        }
        String text = (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
        text = text.strip();
        if (!text.isEmpty() && text.length() <= 19 && text.chars().allMatch(Character::isDigit)) {
            try {
                long millis = Long.parseLong(text);
                if (millis > 0) {
                    return millis;
                }
            } catch (NumberFormatException ex) {
                // falls through to the error: more than a long holds
            }
        }
        String shown = (text.length() > MAX_SHOWN) ? text.substring(0, MAX_SHOWN) + "..." : text;
        throw new MessageDeadlineException(header, shown, destination);
    }

    /**
     * What a received message brings: no deadline, or its deadline and the budget left until it.
     *
     * @param deadline the message's deadline, tolerance included; {@code null} for none
     * @param left how long until it, zero once passed; {@code null} for none
     */
    public record Admission(@Nullable Instant deadline, @Nullable Duration left) {

        /** A message without a deadline. */
        public static final Admission NONE = new Admission(null, null);

        /** Whether the message's deadline has passed: its sender has given up, the body must not run. */
        public boolean expired() {
            return left != null && left.isZero();
        }

        /**
         * The invocation's budget: the earlier of the message's and the listener's own {@code timeout}; {@code
         * null} when neither has one.
         */
        public @Nullable Duration budget(@Nullable Duration timeout) {
            if (left == null) {
                return timeout;
            }
            return (timeout == null || left.compareTo(timeout) < 0) ? left : timeout;
        }
    }
}
