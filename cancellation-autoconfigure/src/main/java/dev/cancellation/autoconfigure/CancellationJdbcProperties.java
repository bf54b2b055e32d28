package dev.cancellation.autoconfigure;

import dev.cancellation.jdbc.QueryTimeoutBackstop;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the JDBC edge, bound from {@code cancellation.jdbc.*}. Setters reject nonsense with an
 * {@link IllegalArgumentException} naming the property and the value, so the application fails to start.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.jdbc")
public class CancellationJdbcProperties {

    /**
     * Whether every DataSource bean is decorated so that statements follow the current cancellation token (cancel
     * on the server, query timeout from the budget, refused once cancelled).
     */
    private boolean enabled = true;

    /**
     * Whether statements executed under a token with a deadline get a query timeout no longer than the remaining
     * budget (whole seconds, rounded up), the backstop for a cancel that does not land: 'auto' on every driver but
     * H2 and PostgreSQL (where the timeout costs each statement a server command or a timer task, and the cancel
     * already stops the statement the same way), 'on' (or true) on every driver, 'off' (or false) on none. A
     * shorter timeout set by the application is kept.
     */
    private QueryTimeoutBackstop queryTimeout = QueryTimeoutBackstop.AUTO;

    /**
     * How long the thread of a cancelled statement waits, when the driver returns, for a cancel request already on
     * its way to be delivered. A connection whose cancel has not landed by then is aborted (the pool discards it),
     * so that the late cancel can never hit another statement.
     */
    private Duration cancelWait = Duration.ofSeconds(5);

    /** The most threads that send cancel requests to the database at once. */
    private int cancelThreads = 4;

    /**
     * The most cancel requests waiting for a cancel thread. A cancel that finds the queue full is not sent (the
     * query timeout, where set, still bounds the statement); a queued one whose statement returns first is withdrawn.
     */
    private int cancelQueueCapacity = 1024;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public QueryTimeoutBackstop getQueryTimeout() {
        return queryTimeout;
    }

    public void setQueryTimeout(@Nullable QueryTimeoutBackstop queryTimeout) {
        this.queryTimeout = (queryTimeout != null) ? queryTimeout : QueryTimeoutBackstop.AUTO;
    }

    public Duration getCancelWait() {
        return cancelWait;
    }

    public void setCancelWait(@Nullable Duration cancelWait) {
        if (cancelWait != null && cancelWait.isNegative()) {
            throw new IllegalArgumentException(
                    "cancellation.jdbc.cancel-wait must not be negative, but was " + cancelWait);
        }
        this.cancelWait = (cancelWait != null) ? cancelWait : Duration.ofSeconds(5);
    }

    public int getCancelThreads() {
        return cancelThreads;
    }

    public void setCancelThreads(int cancelThreads) {
        if (cancelThreads < 1) {
            throw new IllegalArgumentException(
                    "cancellation.jdbc.cancel-threads must be at least 1, but was " + cancelThreads);
        }
        this.cancelThreads = cancelThreads;
    }

    public int getCancelQueueCapacity() {
        return cancelQueueCapacity;
    }

    public void setCancelQueueCapacity(int cancelQueueCapacity) {
        if (cancelQueueCapacity < 1) {
            throw new IllegalArgumentException(
                    "cancellation.jdbc.cancel-queue-capacity must be at least 1, but was " + cancelQueueCapacity);
        }
        this.cancelQueueCapacity = cancelQueueCapacity;
    }
}
