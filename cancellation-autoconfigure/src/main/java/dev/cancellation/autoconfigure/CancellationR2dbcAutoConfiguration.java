package dev.cancellation.autoconfigure;

import dev.cancellation.r2dbc.CancellableConnectionFactoryPostProcessor;
import dev.cancellation.r2dbc.R2dbcStatementCanceller;
import io.r2dbc.spi.ConnectionFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import reactor.core.publisher.Flux;

/**
 * Auto-configuration of the R2DBC edge: decorates every {@link ConnectionFactory} bean with a
 * {@link CancellableConnectionFactoryPostProcessor}. Active when R2DBC and Reactor are on the class path, a
 * {@code ConnectionFactory} bean exists (after Boot's own R2DBC auto-configuration) and
 * {@code cancellation.r2dbc.enabled} is not {@code false}; a post-processor defined by the application wins.
 */
@AutoConfiguration(afterName = "org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration")
@ConditionalOnClass({ConnectionFactory.class, Flux.class})
@ConditionalOnBean(ConnectionFactory.class)
@ConditionalOnBooleanProperty(name = {"cancellation.enabled", "cancellation.r2dbc.enabled"}, matchIfMissing = true)
public class CancellationR2dbcAutoConfiguration {

    /**
     * The post-processor that decorates the connection factories. Static and bound straight from the
     * {@link Environment}, because bean post-processors are created before other beans can be.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static CancellableConnectionFactoryPostProcessor cancellableConnectionFactoryPostProcessor(
            Environment environment) {
        CancellationR2dbcProperties properties = Binder.get(environment)
                .bindOrCreate("cancellation.r2dbc", CancellationR2dbcProperties.class);
        return new CancellableConnectionFactoryPostProcessor(new R2dbcStatementCanceller(properties.getCancelWait()));
    }
}
