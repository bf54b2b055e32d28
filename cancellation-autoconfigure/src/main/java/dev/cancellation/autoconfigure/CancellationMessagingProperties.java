package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What every message listener edge (Kafka, RabbitMQ, JMS) shares, bound from {@code cancellation.messaging.*}.
 * Setters reject nonsense with an {@link IllegalArgumentException} naming the property and the value, so the
 * application fails to start.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.messaging")
public class CancellationMessagingProperties {

    /**
     * The message header that carries a message's deadline, in epoch milliseconds: written by the templates for a
     * message sent under a token with a deadline, read by the listeners.
     */
    private String deadlineHeader = "cancellation-deadline";

    /**
     * Added to every deadline a listener reads, in the sender's favour, for the difference between the sender's and
     * the receiver's clocks (hosts are expected to be NTP-synchronised).
     */
    private Duration clockSkewTolerance = Duration.ZERO;

    /**
     * How long listener invocations in flight may finish on their own at shutdown (and at a container stop)
     * before they are cancelled with reason SHUTDOWN; their messages are then not acknowledged, so they are
     * redelivered.
     */
    private Duration shutdownDrain = Duration.ofSeconds(5);

    public String getDeadlineHeader() {
        return deadlineHeader;
    }

    public void setDeadlineHeader(@Nullable String deadlineHeader) {
        if (deadlineHeader == null || deadlineHeader.isBlank()) {
            throw new IllegalArgumentException("cancellation.messaging.deadline-header must not be blank, but was '"
                    + deadlineHeader + "'");
        }
        this.deadlineHeader = deadlineHeader.strip();
    }

    public Duration getClockSkewTolerance() {
        return clockSkewTolerance;
    }

    public void setClockSkewTolerance(@Nullable Duration clockSkewTolerance) {
        this.clockSkewTolerance = requireNotNegative(clockSkewTolerance, Duration.ZERO, "clock-skew-tolerance");
    }

    public Duration getShutdownDrain() {
        return shutdownDrain;
    }

    public void setShutdownDrain(@Nullable Duration shutdownDrain) {
        this.shutdownDrain = requireNotNegative(shutdownDrain, Duration.ofSeconds(5), "shutdown-drain");
    }

    private static Duration requireNotNegative(@Nullable Duration value, Duration fallback, String property) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative()) {
            throw new IllegalArgumentException("cancellation.messaging." + property + " must not be negative, but was "
                    + value);
        }
        return value;
    }
}
