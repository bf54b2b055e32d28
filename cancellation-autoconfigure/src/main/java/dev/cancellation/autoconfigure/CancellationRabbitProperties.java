package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the RabbitMQ edge, bound from {@code cancellation.rabbitmq.*}. Setters reject nonsense with an
 * {@link IllegalArgumentException} naming the property and the value, so the application fails to start.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.rabbitmq")
public class CancellationRabbitProperties {

    /**
     * Whether every listener invocation of the containers made by a RabbitListenerContainerFactory runs as a
     * cancellable task, and RabbitTemplate writes the deadline of the current token into the messages it sends.
     */
    private boolean enabled = true;

    /**
     * The budget of every listener invocation; none by default. A message's own deadline, when earlier, wins.
     */
    private @Nullable Duration listenerTimeout;

    /**
     * Whether the message of an invocation cancelled on request (an operator, the application) is requeued; by
     * default it is rejected without requeue (dead-lettered where the queue has a dead-letter exchange), so that a
     * stuck poison message does not come back. Invocations cancelled by a container stop or shutdown are always
     * requeued.
     */
    private boolean requeueCancelled;

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
                    "cancellation.rabbitmq.listener-timeout must be positive, but was " + listenerTimeout);
        }
        this.listenerTimeout = listenerTimeout;
    }

    public boolean isRequeueCancelled() {
        return requeueCancelled;
    }

    public void setRequeueCancelled(boolean requeueCancelled) {
        this.requeueCancelled = requeueCancelled;
    }
}
