package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the R2DBC edge, bound from {@code cancellation.r2dbc.*}. Setters reject nonsense with an
 * {@link IllegalArgumentException} naming the property and the value, so the application fails to start.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.r2dbc")
public class CancellationR2dbcProperties {

    /**
     * Whether every R2DBC ConnectionFactory bean is decorated so that statements follow the token of the Reactor
     * context (refused once cancelled, cancelled on the server when it is cancelled or the subscription disposed).
     */
    private boolean enabled = true;

    /**
     * How long the next operation on a connection (a statement, commit, rollback, or the close that gives it back
     * to its pool) waits for a cancel request still on its way to the server. A connection whose cancel has not
     * landed by then is closed (the pool discards it), so that the late cancel can never hit another statement.
     */
    private Duration cancelWait = Duration.ofSeconds(5);

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Duration getCancelWait() {
        return cancelWait;
    }

    public void setCancelWait(@Nullable Duration cancelWait) {
        if (cancelWait != null && cancelWait.isNegative()) {
            throw new IllegalArgumentException(
                    "cancellation.r2dbc.cancel-wait must not be negative, but was " + cancelWait);
        }
        this.cancelWait = (cancelWait != null) ? cancelWait : Duration.ofSeconds(5);
    }
}
