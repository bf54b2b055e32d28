package dev.cancellation.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;
import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.DataSourceUnwrapper;
import org.springframework.boot.jdbc.autoconfigure.health.DataSourceHealthContributorAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.metrics.DataSourcePoolMetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.datasource.LazyConnectionDataSourceProxy;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.jdbc.datasource.lookup.AbstractRoutingDataSource;

/** Every branch of {@code CancellationJdbcAutoConfiguration}, and what the decoration leaves intact. */
class CancellationJdbcAutoConfigurationTests {

    private final ApplicationContextRunner h2 = JdbcTestSupport.runner()
            .withPropertyValues("spring.datasource.url=jdbc:h2:mem:autoconfig;DB_CLOSE_DELAY=-1");

    @Test
    void decoratesTheDataSourceKeepingItsTypeForUnwrapperMetricsAndHealth() {
        h2.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                DataSourcePoolMetricsAutoConfiguration.class, HealthContributorAutoConfiguration.class,
                DataSourceHealthContributorAutoConfiguration.class)).run(context -> {
                    DataSource dataSource = context.getBean(DataSource.class);
                    assertThat(dataSource).isInstanceOf(HikariDataSource.class);
                    assertThat(AopUtils.isAopProxy(dataSource)).isTrue();
                    assertThat(context.getBean(HikariDataSource.class)).isSameAs(dataSource);
                    HikariDataSource pool = DataSourceUnwrapper.unwrap(dataSource, HikariDataSource.class);
                    assertThat(pool).isNotNull();
                    assertThat(DataSourceUnwrapper.unwrap(dataSource, HikariConfigMXBean.class, HikariDataSource.class))
                            .isNotNull();
                    try (Connection connection = dataSource.getConnection()) {
                        assertThat(StatementCanceller.isWrapped(connection)).isTrue();
                        assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isOne();
                    }
                    assertThat(context.getBean(MeterRegistry.class).get("hikaricp.connections").gauge().value())
                            .isGreaterThanOrEqualTo(1);
                    HealthIndicator health = context.getBean("dbHealthContributor", HealthIndicator.class);
                    assertThat(health.health().getStatus()).isEqualTo(Status.UP);
                });
    }

    @Test
    void isOffWhenDisabled() {
        h2.withPropertyValues("cancellation.jdbc.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(CancellableDataSourcePostProcessor.class);
            assertThat(AopUtils.isAopProxy(context.getBean(DataSource.class))).isFalse();
        });
        h2.withPropertyValues("cancellation.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean(CancellableDataSourcePostProcessor.class));
    }

    @Test
    void isOffWithoutDataSource() {
        JdbcTestSupport.runner().withPropertyValues("spring.datasource.url=")
                // every pool Boot knows (Artemis brings commons-dbcp2 to the test classpath) and every driver
                .withClassLoader(new org.springframework.boot.test.context.FilteredClassLoader("com.zaxxer.hikari",
                        "org.apache.commons.dbcp2", "org.apache.tomcat.jdbc", "oracle.ucp", "org.h2", "org.postgresql"))
                .run(context -> assertThat(context).doesNotHaveBean(CancellableDataSourcePostProcessor.class));
    }

    @Test
    void anInvalidPropertyFailsTheStartNamingIt() {
        h2.withPropertyValues("cancellation.jdbc.cancel-threads=0").run(context ->
                assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("cancellation.jdbc.cancel-threads must be at least 1, but was 0"));
        h2.withPropertyValues("cancellation.jdbc.cancel-queue-capacity=0").run(context ->
                assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("cancellation.jdbc.cancel-queue-capacity must be at least 1, but was 0"));
    }

    @Test
    void theQueryTimeoutIsAutoByDefaultAndTrueAndFalseStillBind() {
        h2.run(context -> assertThat(context.getBean(CancellableDataSourcePostProcessor.class).canceller()
                .queryTimeout()).isEqualTo(QueryTimeoutBackstop.AUTO));
        h2.withPropertyValues("cancellation.jdbc.query-timeout=true").run(context -> assertThat(context
                .getBean(CancellableDataSourcePostProcessor.class).canceller().queryTimeout())
                .isEqualTo(QueryTimeoutBackstop.ON));
        h2.withPropertyValues("cancellation.jdbc.query-timeout=false").run(context -> assertThat(context
                .getBean(CancellableDataSourcePostProcessor.class).canceller().queryTimeout())
                .isEqualTo(QueryTimeoutBackstop.OFF));
        h2.withPropertyValues("cancellation.jdbc.query-timeout=sometimes").run(context ->
                assertThat(context).getFailure().hasStackTraceContaining("cancellation.jdbc.query-timeout")
                        .hasStackTraceContaining("sometimes"));
    }

    @Test
    void aPostProcessorOfTheApplicationWins() {
        h2.withBean("myPostProcessor", CancellableDataSourcePostProcessor.class,
                () -> new CancellableDataSourcePostProcessor(new StatementCanceller())).run(context ->
                        assertThat(context).hasSingleBean(CancellableDataSourcePostProcessor.class)
                                .hasBean("myPostProcessor"));
    }

    @Test
    void aRoutingDataSourceStaysRoutingAndItsHealthStaysPerTarget() {
        JdbcTestSupport.runner().withUserConfiguration(RoutingConfig.class)
                .withConfiguration(AutoConfigurations.of(HealthContributorAutoConfiguration.class,
                        DataSourceHealthContributorAutoConfiguration.class))
                .run(context -> {
                    DataSource dataSource = context.getBean(DataSource.class);
                    assertThat(dataSource).isInstanceOf(AbstractRoutingDataSource.class);
                    try (Connection connection = dataSource.getConnection()) {
                        assertThat(StatementCanceller.isWrapped(connection)).isTrue();
                    }
                    assertThat(context.getBean("dbHealthContributor")).isInstanceOf(CompositeHealthContributor.class);
                });
    }

    @Test
    void aDataSourceDelegatingToAnotherDecoratedOneWrapsConnectionsOnce() {
        JdbcTestSupport.runner().withUserConfiguration(DelegatingConfig.class).run(context -> {
            try (Connection connection = context.getBean(DataSource.class).getConnection()) {
                assertThat(StatementCanceller.isWrapped(connection)).isTrue();
                assertThat(connection.toString()).containsOnlyOnce("Cancellable[");
            }
        });
    }

    @Test
    void aDataSourceHandingOutConnectionProxiesAroundADecoratedOneAddsNoSecondCancelLayer() {
        for (Class<?> config : List.of(TransactionAwareConfig.class, LazyConnectionConfig.class)) {
            JdbcTestSupport.runner().withUserConfiguration(config).run(context ->
                    assertOneCancelLayer(context.getBean(DataSource.class),
                            context.getBean(CancellableDataSourcePostProcessor.class).canceller()));
        }
    }

    @Test
    void aTransactionAwareDataSourceAroundAPlainOneIsDecorated() {
        JdbcTestSupport.runner().withBean(DataSource.class, () -> new TransactionAwareDataSourceProxy(
                new DriverManagerDataSource("jdbc:h2:mem:plain"))).run(context ->
                        assertOneCancelLayer(context.getBean(DataSource.class),
                                context.getBean(CancellableDataSourcePostProcessor.class).canceller()));
    }

    /** One registration on the token per execution, and statements whose cancel layer is this library's. */
    private static void assertOneCancelLayer(DataSource dataSource, StatementCanceller canceller) throws Exception {
        try (CancellationSource source = CancellationSource.create();
                Cancellation.Scope ignored = Cancellation.enter(source.token());
                Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("select 1")) {
            assertThat(result.next()).isTrue();
            assertThat(canceller.openExecutions()).as("registrations of one open execution").isOne();
            assertThat(statement.toString()).containsOnlyOnce("Cancellable[");
        }
        assertThat(canceller.openExecutions()).isZero();
    }

    @Test
    void aFinalDataSourceClassIsDecoratedThroughItsInterfaces() {
        JdbcTestSupport.runner().withBean(DataSource.class, () -> new FinalDataSource(
                new DriverManagerDataSource("jdbc:h2:mem:final"))).run(context -> {
                    DataSource dataSource = context.getBean(DataSource.class);
                    assertThat(AopUtils.isJdkDynamicProxy(dataSource)).isTrue();
                    try (Connection connection = dataSource.getConnection()) {
                        assertThat(StatementCanceller.isWrapped(connection)).isTrue();
                    }
                    assertThat(dataSource.unwrap(FinalDataSource.class)).isNotNull();
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class RoutingConfig {

        @Bean
        DataSource routing() {
            AbstractRoutingDataSource routing = new AbstractRoutingDataSource() {
                @Override
                protected Object determineCurrentLookupKey() {
                    return "one";
                }
            };
            routing.setTargetDataSources(Map.of("one", new DriverManagerDataSource("jdbc:h2:mem:one"), "two",
                    new DriverManagerDataSource("jdbc:h2:mem:two")));
            return routing;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class DelegatingConfig {

        @Bean
        DataSource inner() {
            return new DriverManagerDataSource("jdbc:h2:mem:inner");
        }

        @Bean
        @Primary
        DataSource outer(DataSource inner) {
            return new DelegatingDataSource(inner);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TransactionAwareConfig {

        @Bean
        DataSource inner() {
            return new DriverManagerDataSource("jdbc:h2:mem:ta");
        }

        @Bean
        @Primary
        DataSource transactionAware(DataSource inner) {
            return new TransactionAwareDataSourceProxy(inner);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class LazyConnectionConfig {

        @Bean
        DataSource inner() {
            return new DriverManagerDataSource("jdbc:h2:mem:lazy");
        }

        @Bean
        @Primary
        DataSource lazy(DataSource inner) {
            return new LazyConnectionDataSourceProxy(inner);
        }
    }

    static final class FinalDataSource implements DataSource {

        private final DataSource target;

        FinalDataSource(DataSource target) {
            this.target = target;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return target.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return target.getConnection(username, password);
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            if (type.isInstance(this)) {
                return type.cast(this);
            }
            throw new SQLException("not a wrapper for " + type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return type.isInstance(this);
        }
    }
}
