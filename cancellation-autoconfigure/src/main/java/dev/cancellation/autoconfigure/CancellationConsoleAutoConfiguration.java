package dev.cancellation.autoconfigure;

import dev.cancellation.actuate.CancellationEndpoint;
import dev.cancellation.console.CancellationConsoleEndpoint;
import dev.cancellation.console.CancellationConsoleRuntimeHints;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ImportRuntimeHints;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the operator's console ({@link CancellationConsoleEndpoint}). Off by default: active only
 * with {@code cancellation.console.enabled=true}, in a web application that has the {@code cancellation} endpoint,
 * and when the console endpoint itself is available (exposed over HTTP, access not {@code none}).
 */
@AutoConfiguration(after = CancellationEndpointAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnWebApplication
@ConditionalOnBooleanProperty(name = "cancellation.console.enabled")
@ConditionalOnBean(CancellationEndpoint.class) // so also off with cancellation.enabled=false
@ConditionalOnAvailableEndpoint(CancellationConsoleEndpoint.class)
@EnableConfigurationProperties(CancellationConsoleProperties.class)
@ImportRuntimeHints(CancellationConsoleRuntimeHints.class)
public class CancellationConsoleAutoConfiguration {

    /** The console, pointed at the paths of the {@code cancellation} and {@code metrics} endpoints and its own. */
    @Bean
    @ConditionalOnMissingBean
    public CancellationConsoleEndpoint cancellationConsoleEndpoint(Environment environment) {
        return new CancellationConsoleEndpoint(pathOf(environment, "cancellation"),
                pathOf(environment, CancellationConsoleEndpoint.ID), pathOf(environment, "metrics"));
    }

    private static String pathOf(Environment environment, String endpointId) {
        return environment.getProperty("management.endpoints.web.path-mapping." + endpointId, endpointId);
    }
}
