package dev.cancellation.autoconfigure;

import dev.cancellation.micrometer.TaskObservationConvention;
import dev.cancellation.micrometer.TaskObservations;
import dev.cancellation.task.TaskRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code cancellation.task} observation of every task, when Micrometer's Observation API
 * is on the classpath and an {@link ObservationRegistry} exists (Spring Boot's observation support). With
 * Micrometer metrics it gives the {@code cancellation.task} timer and {@code cancellation.task.active} long-task
 * timer; with a tracer, a span per task. Declare a {@link TaskObservationConvention} bean to change its name or
 * key values; {@code management.observations.enable.cancellation=false} turns it off.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean({ TaskRegistry.class, ObservationRegistry.class })
public class CancellationObservationAutoConfiguration {

    /** Starts and stops the observations; closed (unregistered) with the context. */
    @Bean
    @ConditionalOnMissingBean
    public TaskObservations cancellationTaskObservations(TaskRegistry taskRegistry,
            ObservationRegistry observationRegistry, ObjectProvider<TaskObservationConvention> convention) {
        return TaskObservations.observe(taskRegistry, observationRegistry, convention.getIfUnique());
    }
}
