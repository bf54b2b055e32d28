package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the Kafka edge, bound from {@code cancellation.kafka.*}. Setters reject nonsense with an
 * {@link IllegalArgumentException} naming the property and the value, so the application fails to start.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.kafka")
public class CancellationKafkaProperties {

    /**
     * Whether every record a Kafka listener container delivers runs as a cancellable task, records sent under a
     * token carry its deadline, and a container stop or a rebalance cancels the records in flight.
     */
    private boolean enabled = true;

    /**
     * The budget of every listener invocation (a record whose deadline is nearer gets what is left of it); none by
     * default. Keep it below the consumer's max.poll.interval.ms, so that a record stops before Kafka gives its
     * partition to another consumer.
     */
    private @Nullable Duration listenerTimeout;

    /** Whether records sent by Boot's producer factory under a token with a deadline carry it in a header. */
    private boolean propagateDeadline = true;

    /**
     * Whether the auto-configuration defines the listener containers' error handler (a DefaultErrorHandler that
     * redelivers records cancelled by a stop or a rebalance and does not retry those cancelled by an operator or a
     * deadline) when the application defines none.
     */
    private boolean errorHandler = true;

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
                    "cancellation.kafka.listener-timeout must be positive, but was " + listenerTimeout);
        }
        this.listenerTimeout = listenerTimeout;
    }

    public boolean isPropagateDeadline() {
        return propagateDeadline;
    }

    public void setPropagateDeadline(boolean propagateDeadline) {
        this.propagateDeadline = propagateDeadline;
    }

    public boolean isErrorHandler() {
        return errorHandler;
    }

    public void setErrorHandler(boolean errorHandler) {
        this.errorHandler = errorHandler;
    }
}
