package dev.cancellation.jms;

import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What every JMS listener invocation shares: where invocations are registered, how the deadline header is read,
 * the listener timeout, and whether a message whose invocation was cancelled (other than by a stop) is redelivered.
 *
 * <p>JMS property names must be Java identifiers ({@code cancellation-deadline} is not one, and Artemis refuses
 * it), so the deadline travels in the property {@link #deadlineProperty(String)} derives from the header's name:
 * every character that may not appear in an identifier becomes {@code _} ({@code cancellation_deadline}), as
 * tracing libraries do with their headers on JMS.
 *
 * <p>Thread-safety: immutable.
 *
 * @param invocations where the invocations are registered and drained
 * @param deadlines the deadline header policy
 * @param listenerTimeout every invocation's budget unless the message's deadline is earlier; {@code null} for none
 * @param redeliverCancelled whether an invocation cancelled by an operator or a timeout rolls its session back (the
 *     broker redelivers the message) instead of consuming the message and handing the cancellation to the
 *     container's error handler
 */
public record JmsListenerSettings(ListenerInvocations invocations, MessageDeadlines deadlines,
        @Nullable Duration listenerTimeout, boolean redeliverCancelled) {

    /** Validates the settings. */
    public JmsListenerSettings {
        Objects.requireNonNull(invocations, "invocations");
        Objects.requireNonNull(deadlines, "deadlines");
        if (listenerTimeout != null && (listenerTimeout.isNegative() || listenerTimeout.isZero())) {
            throw new IllegalArgumentException(
                    "cancellation.jms.listener-timeout must be positive, but was " + listenerTimeout);
        }
    }

    /** The JMS property that carries the deadline: {@link #deadlineProperty(String)} of the header's name. */
    public String deadlineProperty() {
        return deadlineProperty(deadlines.header());
    }

    /** The JMS property name for a header: each character not allowed in a Java identifier replaced by {@code _}. */
    public static String deadlineProperty(String header) {
        StringBuilder name = new StringBuilder(header.length());
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            boolean allowed = (i == 0) ? Character.isJavaIdentifierStart(c) : Character.isJavaIdentifierPart(c);
            name.append(allowed ? c : '_');
        }
        return name.toString();
    }
}
