package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.web.InFlightRequest;
import dev.cancellation.web.InFlightRequests;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The load benchmark's request path ({@code benchmarks/run-load.sh}: one statement in a {@code @Cancellable}
 * method with a 2 s budget) in process, without the servlet container, so that what the edges add to it can be
 * told apart at the nanosecond: a Boot context with a Hikari pool on H2, a Micrometer meter observation handler
 * (the {@code cancellation.task} observation of every task, as in an application with the actuator), and the
 * method's bean.
 *
 * <ul>
 *   <li>{@code edgesOff}: the JDBC edge off ({@code cancellation.jdbc.enabled=false}) and no request token, as the
 *       load benchmark's instance with the web and JDBC edges off.</li>
 *   <li>{@code edgesOn}: the JDBC edge on, the call under a request's token opened and closed as the servlet
 *       filter does ({@link InFlightRequests}), as the instance with every edge on.</li>
 *   <li>{@code requestOnly} and {@code jdbcOnly}: each of the two alone, to tell their shares apart.</li>
 * </ul>
 *
 * {@code observed=false} runs the same without an observation registry: what the task's observation costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestPathBenchmark {

    /** The method of the load benchmark's endpoint, with one short statement. */
    public static class QueryService {

        private final DataSource dataSource;

        public QueryService(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Cancellable(name = "slow-query", timeout = "2s")
        public long run(long rows) throws SQLException {
            try (Connection connection = dataSource.getConnection();
                    PreparedStatement statement = connection.prepareStatement(
                            "select count(*) from system_range(1, ?)")) {
                statement.setLong(1, rows);
                try (ResultSet result = statement.executeQuery()) {
                    result.next();
                    return result.getLong(1);
                }
            }
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    public static class PathApplication {

        @Bean(destroyMethod = "close")
        public HikariDataSource dataSource() {
            HikariDataSource pool = new HikariDataSource();
            pool.setJdbcUrl("jdbc:h2:mem:request-path;DB_CLOSE_DELAY=-1");
            pool.setMaximumPoolSize(4);
            return pool;
        }

        @Bean
        public QueryService queryService(DataSource dataSource) {
            return new QueryService(dataSource);
        }
    }

    /** The meter observation handler Boot's actuator installs. */
    @SpringBootConfiguration
    public static class Observed {

        @Bean
        public MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }

        @Bean
        public ObservationRegistry observationRegistry(MeterRegistry meters) {
            ObservationRegistry registry = ObservationRegistry.create();
            registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
            return registry;
        }
    }

    @Param({"true", "false"})
    public boolean observed;

    private ConfigurableApplicationContext on;
    private ConfigurableApplicationContext off;
    private QueryService withJdbcEdge;
    private QueryService withoutJdbcEdge;
    private final InFlightRequests requests = new InFlightRequests(null, Duration.ofSeconds(5));

    @Setup
    public void setUp() {
        on = start(true);
        off = start(false);
        withJdbcEdge = on.getBean(QueryService.class);
        withoutJdbcEdge = off.getBean(QueryService.class);
        if (!AopUtils.isAopProxy(withJdbcEdge) || !AopUtils.isAopProxy(withoutJdbcEdge)) {
            throw new IllegalStateException("the @Cancellable bean is not advised");
        }
        if (!AopUtils.isAopProxy(on.getBean(DataSource.class)) || AopUtils.isAopProxy(off.getBean(DataSource.class))) {
            throw new IllegalStateException("the JDBC edge is not on in one context and off in the other");
        }
    }

    private ConfigurableApplicationContext start(boolean jdbcEdge) {
        SpringApplicationBuilder builder = new SpringApplicationBuilder(PathApplication.class);
        if (observed) {
            builder.sources(Observed.class);
        }
        return builder.web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off", "spring.main.log-startup-info=false",
                        "spring.jmx.enabled=false", "cancellation.jdbc.enabled=" + jdbcEdge,
                        "spring.autoconfigure.exclude=" + SpringAdviceBenchmark.BROKER_AUTO_CONFIGURATIONS)
                .run();
    }

    @TearDown
    public void tearDown() {
        on.close();
        off.close();
    }

    @Benchmark
    public long edgesOff() throws SQLException {
        return withoutJdbcEdge.run(1);
    }

    @Benchmark
    public long edgesOn() throws SQLException {
        return underRequest(withJdbcEdge);
    }

    @Benchmark
    public long requestOnly() throws SQLException {
        return underRequest(withoutJdbcEdge);
    }

    @Benchmark
    public long jdbcOnly() throws SQLException {
        return withJdbcEdge.run(1);
    }

    private long underRequest(QueryService service) throws SQLException {
        InFlightRequest request = requests.open(null);
        try (Cancellation.Scope ignored = Cancellation.enter(request.requestToken())) {
            return service.run(1);
        } finally {
            request.close();
        }
    }
}
