package dev.cancellation.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the operator's console, bound from {@code cancellation.console.*}.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.console")
public class CancellationConsoleProperties {

    /**
     * Whether the starter serves the operator's console, a page under the management base path
     * (/actuator/cancellationconsole by default) that shows the tasks of the cancellation endpoint and cancels them
     * where its access allows. Like any endpoint it must also be exposed
     * (management.endpoints.web.exposure.include=cancellation,cancellationconsole).
     */
    private boolean enabled = false;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }
}
