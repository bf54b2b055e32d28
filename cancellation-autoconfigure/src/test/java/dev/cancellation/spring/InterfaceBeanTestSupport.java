package dev.cancellation.spring;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationJdbcAutoConfiguration;
import dev.cancellation.jdbc.EmbeddedPostgres;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;

/**
 * The real auto-configurations of a JDBC application with cancellation, the jdbc edge included (it cancels
 * statements on the server), on the test JVM's one embedded PostgreSQL server ({@link EmbeddedPostgres}).
 */
final class InterfaceBeanTestSupport {

    private InterfaceBeanTestSupport() {
    }

    /** Boot's JDBC auto-configurations and ours, on the embedded server, with a pool of two connections. */
    static ApplicationContextRunner postgres() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        TransactionAutoConfiguration.class, CancellationAutoConfiguration.class,
                        CancellableAnnotationAutoConfiguration.class, CancellationJdbcAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=" + EmbeddedPostgres.url(),
                        "spring.datasource.username=postgres", "spring.datasource.password=",
                        "spring.datasource.hikari.maximum-pool-size=2");
    }
}
