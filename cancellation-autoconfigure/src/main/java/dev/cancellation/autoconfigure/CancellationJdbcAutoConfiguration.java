package dev.cancellation.autoconfigure;

import dev.cancellation.jdbc.CancellableDataSourcePostProcessor;
import dev.cancellation.jdbc.StatementCanceller;
import javax.sql.DataSource;
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

/**
 * Auto-configuration of the JDBC edge: decorates every {@link DataSource} bean with a
 * {@link CancellableDataSourcePostProcessor}. Active when a {@code DataSource} bean exists (after Boot's own
 * data source auto-configuration) and {@code cancellation.jdbc.enabled} is not {@code false}; a post-processor
 * defined by the application wins.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.XADataSourceAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.JndiDataSourceAutoConfiguration"})
@ConditionalOnClass(DataSource.class)
@ConditionalOnBean(DataSource.class)
@ConditionalOnBooleanProperty(name = {"cancellation.enabled", "cancellation.jdbc.enabled"}, matchIfMissing = true)
public class CancellationJdbcAutoConfiguration {

    /**
     * The post-processor that decorates the data sources. Static and bound straight from the {@link Environment},
     * because bean post-processors are created before other beans can be.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static CancellableDataSourcePostProcessor cancellableDataSourcePostProcessor(Environment environment) {
        CancellationJdbcProperties properties = Binder.get(environment)
                .bindOrCreate("cancellation.jdbc", CancellationJdbcProperties.class);
        return new CancellableDataSourcePostProcessor(new StatementCanceller(properties.getQueryTimeout(),
                properties.getCancelWait(), properties.getCancelThreads(), properties.getCancelQueueCapacity()));
    }
}
