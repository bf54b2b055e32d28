package dev.cancellation.autoconfigure;

import dev.cancellation.actuate.CancellationEndpoint;
import dev.cancellation.actuate.CancellationEndpointRuntimeHints;
import dev.cancellation.actuate.CancellationEndpointWebExtension;
import dev.cancellation.actuate.FleetTasks;
import dev.cancellation.task.TaskRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.EndpointAccessResolver;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ImportRuntimeHints;

/**
 * Auto-configuration of the {@code cancellation} actuator endpoint, when the actuator is on the classpath, a
 * {@link TaskRegistry} exists and the endpoint is available (access not {@code none}, and exposed over HTTP or
 * JMX). Imports the {@link CancellationEndpointRuntimeHints} of the endpoint's response types for AOT processing.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(TaskRegistry.class)
@ConditionalOnAvailableEndpoint(CancellationEndpoint.class)
@ImportRuntimeHints(CancellationEndpointRuntimeHints.class)
public class CancellationEndpointAutoConfiguration {

    /**
     * The endpoint; over the other instances too when a {@link FleetTasks} bean exists. It reports itself
     * {@code writable} when Boot's endpoint access resolver grants it {@link Access#UNRESTRICTED} access, the same
     * answer by which Boot maps its write operations.
     */
    @Bean
    @ConditionalOnMissingBean
    public CancellationEndpoint cancellationEndpoint(TaskRegistry registry, ObjectProvider<FleetTasks> fleet,
            ObjectProvider<EndpointAccessResolver> accessResolver) {
        EndpointAccessResolver resolver = accessResolver.getIfAvailable();
        boolean writable = resolver != null
                && resolver.accessFor(EndpointId.of("cancellation"), Access.READ_ONLY) == Access.UNRESTRICTED;
        return new CancellationEndpoint(registry, fleet.getIfAvailable(), writable);
    }

    /** Its HTTP extension (404 for a cancel of an unknown id). */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(CancellationEndpoint.class)
    @ConditionalOnAvailableEndpoint(exposure = EndpointExposure.WEB)
    public CancellationEndpointWebExtension cancellationEndpointWebExtension(CancellationEndpoint endpoint) {
        return new CancellationEndpointWebExtension(endpoint);
    }
}
