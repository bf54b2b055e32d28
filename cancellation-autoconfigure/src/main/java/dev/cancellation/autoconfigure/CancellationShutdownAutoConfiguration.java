package dev.cancellation.autoconfigure;

import dev.cancellation.lifecycle.CancellationLifecycle;
import dev.cancellation.lifecycle.ShutdownDrain;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Graceful shutdown of running tasks at context close: a {@link CancellationLifecycle} in the phase of the web
 * server's graceful shutdown. On by default; {@code cancellation.shutdown.enabled=false} (or
 * {@code cancellation.enabled=false}) turns it off. {@code cancellation.shutdown.timeout} defaults to
 * {@code spring.lifecycle.timeout-per-shutdown-phase} (30s).
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "cancellation.shutdown.enabled", matchIfMissing = true)
@ConditionalOnBean(TaskRegistry.class)
@EnableConfigurationProperties(CancellationProperties.class)
public class CancellationShutdownAutoConfiguration {

    /** Spring's own default of {@code spring.lifecycle.timeout-per-shutdown-phase}. */
    static final Duration DEFAULT_PHASE_TIMEOUT = Duration.ofSeconds(30);

    /** The lifecycle bean that shuts the registry down when the context closes. */
    @Bean
    @ConditionalOnMissingBean
    public CancellationLifecycle cancellationLifecycle(TaskRegistry registry, CancellationProperties properties,
            Environment environment, ObjectProvider<ShutdownDrain> drains) {
        CancellationProperties.Shutdown shutdown = properties.getShutdown();
        Duration timeout = shutdown.getTimeout();
        if (timeout == null) {
            timeout = Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
                    .orElse(DEFAULT_PHASE_TIMEOUT);
        }
        CancellationLifecycle lifecycle = new CancellationLifecycle(registry, orZero(shutdown.getDrainTimeout()),
                timeout, properties.isInterrupt(), orZero(shutdown.getLastGrace()));
        lifecycle.setDrains(drains.orderedStream().toList());
        return lifecycle;
    }

    private static Duration orZero(@Nullable Duration value) {
        return (value != null) ? value : Duration.ZERO;
    }
}
