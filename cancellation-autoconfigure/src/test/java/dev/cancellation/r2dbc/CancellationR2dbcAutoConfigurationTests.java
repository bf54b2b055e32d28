package dev.cancellation.r2dbc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationR2dbcAutoConfiguration;
import dev.cancellation.jdbc.EmbeddedPostgres;
import dev.cancellation.spring.CancellationTokenAccessor;
import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Wrapped;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.metrics.ConnectionPoolMetricsAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Mono;

/** Every branch of {@code CancellationR2dbcAutoConfiguration}, and what the decoration leaves intact. */
class CancellationR2dbcAutoConfigurationTests {

    @Test
    void decoratesThePoolKeepingItsTypeForMetricsAndUnwrap() {
        R2dbcTestSupport.postgres(2).withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
                CompositeMeterRegistryAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                ConnectionPoolMetricsAutoConfiguration.class)).run(context -> {
                    ConnectionFactory factory = context.getBean(ConnectionFactory.class);
                    assertThat(factory).isInstanceOf(ConnectionPool.class);
                    assertThat(AopUtils.isAopProxy(factory)).isTrue();
                    assertThat(context.getBean(ConnectionPool.class)).isSameAs(factory);
                    assertThat(((Wrapped<?>) ((ConnectionPool) factory).unwrap()).unwrap())
                            .isInstanceOf(PostgresqlConnectionFactory.class);
                    Connection connection = Mono.from(factory.create()).block(PROMPTLY);
                    try {
                        assertThat(R2dbcStatementCanceller.isWrapped(connection)).isTrue();
                        assertThat(((Wrapped<?>) connection).unwrap()).isNotInstanceOf(PostgresqlConnection.class)
                                .isInstanceOf(Wrapped.class); // the pool's connection
                        assertThat(((Wrapped<?>) connection).unwrap(PostgresqlConnection.class)).isNotNull();
                        assertThat(((ConnectionPool) factory).getMetrics().orElseThrow().acquiredSize()).isOne();
                    } finally {
                        Mono.from(connection.close()).block(PROMPTLY);
                    }
                    assertThat(context.getBean(MeterRegistry.class).get("r2dbc.pool.acquired").gauge()).isNotNull();
                });
    }

    @Test
    void aFinalDriverFactoryIsProxiedByItsInterfacesAndItsConnectionsKeepTheDriversType() {
        R2dbcTestSupport.runner().withBean(ConnectionFactory.class, () -> new PostgresqlConnectionFactory(
                PostgresqlConnectionConfiguration.builder().host("127.0.0.1")
                        .port(EmbeddedPostgres.server().getPort()).username("postgres").database("postgres").build()))
                .run(context -> {
                    ConnectionFactory factory = context.getBean(ConnectionFactory.class);
                    assertThat(AopUtils.isJdkDynamicProxy(factory)).isTrue();
                    Connection connection = Mono.from(factory.create()).block(PROMPTLY);
                    try {
                        assertThat(R2dbcStatementCanceller.isWrapped(connection)).isTrue();
                        assertThat(connection).isInstanceOf(PostgresqlConnection.class);
                        assertThat(Mono.from(connection.createStatement("select 7").execute())
                                .flatMap(result -> Mono.from(result.map((row, meta) -> row.get(0, Integer.class))))
                                .block(PROMPTLY)).isEqualTo(7);
                    } finally {
                        Mono.from(connection.close()).block(PROMPTLY);
                    }
                });
    }

    @Test
    void isOffWhenDisabled() {
        R2dbcTestSupport.postgres(1).withPropertyValues("cancellation.r2dbc.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(CancellableConnectionFactoryPostProcessor.class);
            assertThat(AopUtils.isAopProxy(context.getBean(ConnectionFactory.class))).isFalse();
        });
        R2dbcTestSupport.postgres(1).withPropertyValues("cancellation.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean(CancellableConnectionFactoryPostProcessor.class));
    }

    @Test
    void isOffWithoutConnectionFactoryOrWithoutR2dbc() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                CancellationR2dbcAutoConfiguration.class)).run(context ->
                        assertThat(context).doesNotHaveBean(CancellableConnectionFactoryPostProcessor.class));
        R2dbcTestSupport.postgres(1).withClassLoader(new FilteredClassLoader(ConnectionFactory.class)).run(context ->
                assertThat(context).doesNotHaveBean(CancellableConnectionFactoryPostProcessor.class));
    }

    @Test
    void anInvalidPropertyFailsTheStartNamingIt() {
        R2dbcTestSupport.postgres(1).withPropertyValues("cancellation.r2dbc.cancel-wait=-1s").run(context ->
                assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("cancellation.r2dbc.cancel-wait must not be negative, but was PT-1S"));
    }

    @Test
    void theCancelWaitIsBound() {
        R2dbcTestSupport.postgres(1).withPropertyValues("cancellation.r2dbc.cancel-wait=750ms").run(context ->
                assertThat(context.getBean(CancellableConnectionFactoryPostProcessor.class).canceller().cancelWait())
                        .hasMillis(750));
    }

    @Test
    void aPostProcessorOfTheApplicationWins() {
        R2dbcTestSupport.postgres(1).withBean("myPostProcessor", CancellableConnectionFactoryPostProcessor.class,
                () -> new CancellableConnectionFactoryPostProcessor(new R2dbcStatementCanceller())).run(context ->
                        assertThat(context.getBeansOfType(CancellableConnectionFactoryPostProcessor.class))
                                .containsOnlyKeys("myPostProcessor"));
    }

    @Test
    void theTokenKeyIsTheKeyOfTheContextPropagationAccessor() {
        assertThat(R2dbcStatementCanceller.TOKEN_KEY).isEqualTo(CancellationTokenAccessor.KEY);
    }
}
