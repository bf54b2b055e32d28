package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the JMS edge, bound from {@code cancellation.jms.*} (what every messaging edge shares is under
 * {@code cancellation.messaging.*}). Setters reject nonsense with an {@link IllegalArgumentException} naming the
 * property and the value, so the application fails to start.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.jms")
public class CancellationJmsProperties {

    /**
     * Whether every message of the JMS listener containers runs as a listener invocation (a task with a token,
     * bounded by the message's deadline) and JmsTemplate writes the deadline header.
     */
    private boolean enabled = true;

    /**
     * Every listener invocation's budget, unless the message's deadline is earlier; none by default. An invocation
     * that runs out is cancelled with reason TIMEOUT.
     */
    private @Nullable Duration listenerTimeout;

    /**
     * Whether a message whose invocation was cancelled by an operator or a timeout is rolled back for redelivery.
     * By default it is consumed and the cancellation handed to the container's ErrorHandler, so that a stuck
     * message does not come back forever. Invocations cancelled by a stop (reason SHUTDOWN) are always rolled back
     * and redelivered.
     */
    private boolean redeliverCancelled;

    /** Whether JmsTemplate writes the deadline of the token current at send time into the message's header. */
    private boolean propagateDeadline = true;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable Duration getListenerTimeout() {
        return listenerTimeout;
    }

    public void setListenerTimeout(@Nullable Duration listenerTimeout) {
        if (listenerTimeout != null && (listenerTimeout.isNegative() || listenerTimeout.isZero())) {
            throw new IllegalArgumentException(
                    "cancellation.jms.listener-timeout must be positive, but was " + listenerTimeout);
        }
        this.listenerTimeout = listenerTimeout;
    }

    public boolean isRedeliverCancelled() {
        return redeliverCancelled;
    }

    public void setRedeliverCancelled(boolean redeliverCancelled) {
        this.redeliverCancelled = redeliverCancelled;
    }

    public boolean isPropagateDeadline() {
        return propagateDeadline;
    }

    public void setPropagateDeadline(boolean propagateDeadline) {
        this.propagateDeadline = propagateDeadline;
    }
}
