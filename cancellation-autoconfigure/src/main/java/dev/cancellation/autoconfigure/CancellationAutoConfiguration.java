package dev.cancellation.autoconfigure;

import dev.cancellation.task.TaskRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of cooperative cancellation: the {@link TaskRegistry} and the {@code @Cancellable} /
 * {@code @OnCancel} infrastructure. {@code cancellation.enabled=false} turns it off.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
@EnableConfigurationProperties(CancellationProperties.class)
public class CancellationAutoConfiguration {

    /** The registry of running tasks; closing it (at context close) shuts it down if the lifecycle has not. */
    @Bean
    @ConditionalOnMissingBean
    public TaskRegistry cancellationTaskRegistry(CancellationProperties properties) {
        CancellationProperties.Cleanup cleanup = properties.getCleanup();
        return new TaskRegistry(new TaskRegistry.Settings(properties.getRegistry().getHistorySize(),
                cleanup.getThreads(), cleanup.getQueueCapacity(), cleanup.getTimeout()));
    }
}
