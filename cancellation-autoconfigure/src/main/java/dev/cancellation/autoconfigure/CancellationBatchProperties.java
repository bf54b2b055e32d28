package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the Spring Batch edge, bound from {@code cancellation.batch.*}. Setters reject nonsense with an
 * exception naming the property and the value, so the application fails to start.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.batch")
public class CancellationBatchProperties {

    /**
     * Whether job and step executions run as tasks: listed and cancellable, their token current in tasklets,
     * readers, processors and writers, a cancel stopping the job the Batch way (STOPPED, restartable).
     */
    private boolean enabled = true;

    /**
     * The deadline of every job execution, after which it is stopped the Batch way (reason TIMEOUT); unset for
     * none. The job parameter 'cancellation.timeout' (such as 30s or PT30S) overrides it for one execution.
     */
    private @Nullable Duration timeout;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable Duration getTimeout() {
        return timeout;
    }

    public void setTimeout(@Nullable Duration timeout) {
        this.timeout = CancellationProperties.Check.optionalDuration("cancellation.batch.timeout", timeout, "");
    }
}
