package dev.cancellation.autoconfigure;

import dev.cancellation.micrometer.CancellationMeters;
import dev.cancellation.task.TaskRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the cancellation meters ({@code cancellation.cancelled}, {@code cancellation.stop.latency},
 * {@code cancellation.cleanup}, {@code cancellation.tasks.running}, {@code cancellation.tasks.abandoned}), when
 * Micrometer is on the classpath and a {@link MeterRegistry} exists. {@code management.metrics.enable.cancellation=false}
 * turns them off.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ TaskRegistry.class, MeterRegistry.class })
public class CancellationMetricsAutoConfiguration {

    /** Records the meters; closed (unregistered, gauges removed) with the context. */
    @Bean
    @ConditionalOnMissingBean
    public CancellationMeters cancellationMeters(TaskRegistry taskRegistry, MeterRegistry meterRegistry) {
        return CancellationMeters.bind(taskRegistry, meterRegistry);
    }
}
