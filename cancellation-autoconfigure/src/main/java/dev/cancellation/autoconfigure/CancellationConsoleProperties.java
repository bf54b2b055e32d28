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
     * ({@code /actuator/cancellationconsole} by default) that shows and cancels the tasks of the 'cancellation'
     * endpoint. Like any endpoint it must also be exposed
     * ({@code management.endpoints.web.exposure.include=cancellation,cancellationconsole}).
     */
    private boolean enabled = false;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }
}
