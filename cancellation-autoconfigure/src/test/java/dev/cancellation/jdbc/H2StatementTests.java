package dev.cancellation.jdbc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/** The same guarantees on H2 in memory, whose driver implements {@code Statement.cancel()} too. */
class H2StatementTests {

    /** Runs until cancelled: H2 generates the range lazily and checks for a cancel while it aggregates. */
    static final String HEAVY_QUERY = "select max(rand()) from system_range(1, 100000000000)";

    @Test
    void aTimeoutCancelsTheRunningQuery() {
        JdbcTestSupport.runner().withPropertyValues("spring.datasource.url=jdbc:h2:mem:heavy")
                .withUserConfiguration(Config.class).run(context -> {
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> context.getBean(Heavy.class).query())
                            .isInstanceOf(TaskTimeoutException.class)
                            .hasCauseInstanceOf(SQLTimeoutException.class);
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PROMPTLY);
                    assertThat(context.getBean(JdbcTemplate.class).queryForObject("select 1", Integer.class))
                            .isEqualTo(1);
                    assertThat(context.getBean(CancellableDataSourcePostProcessor.class).canceller()
                            .cancelledStatements()).isOne();
                });
    }

    @Test
    void aLongLivedTokenRunningManyStatementsHoldsNothingPerStatement() {
        JdbcTestSupport.runner().withPropertyValues("spring.datasource.url=jdbc:h2:mem:many").run(context -> {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            StatementCanceller canceller = context.getBean(CancellableDataSourcePostProcessor.class).canceller();
            try (CancellationSource source = CancellationSource.create();
                    Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                runQueries(jdbc, 20_000); // warm up: pools, caches, JIT
                long before = usedHeapAfterGc();
                runQueries(jdbc, 200_000);
                long grown = usedHeapAfterGc() - before;
                // a registration left per query would keep its statement: far beyond 200,000 x 100 bytes
                assertThat(grown).as("heap growth after 200,000 statements on one token")
                        .isLessThan(20L * 1024 * 1024);
                assertThat(canceller.openExecutions()).isZero();
            }
        });
    }

    @Test
    void aStatementIsClosedEvenIfRestoringTheApplicationsQueryTimeoutFails() throws Exception {
        // 'on': H2 gets no query timeout by default ('auto'), and this is about restoring one
        StatementCanceller canceller = new StatementCanceller(QueryTimeoutBackstop.ON, Duration.ofSeconds(5), 4);
        try (Connection h2 = DriverManager.getConnection("jdbc:h2:mem:restore")) {
            List<Statement> driverStatements = new ArrayList<>();
            Connection connection = canceller.wrap(forward(Connection.class, h2, (method, args, result) -> {
                if (result instanceof Statement statement) {
                    driverStatements.add(statement);
                    return forward(Statement.class, statement, (call, callArgs, callResult) -> callResult,
                            (call, callArgs) -> {
                                if (call.getName().equals("setQueryTimeout") && (int) callArgs[0] == 0) {
                                    throw new SQLException("restore refused");
                                }
                            });
                }
                return result;
            }, (method, args) -> { }));
            Statement statement = connection.createStatement();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                    Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                statement.execute("select 1"); // the budget's 30 s on the driver, the application's 0 to restore
            }
            assertThatThrownBy(statement::close).isInstanceOf(SQLException.class).hasMessage("restore refused");
            assertThat(driverStatements).singleElement().satisfies(driver -> assertThat(driver.isClosed()).isTrue());
        } finally {
            canceller.close();
        }
    }

    interface Before {
        void check(Method method, Object[] args) throws SQLException;
    }

    interface After {
        Object map(Method method, Object[] args, Object result) throws SQLException;
    }

    /** A JDK proxy of {@code target} that checks each call before and maps its result after. */
    static <T> T forward(Class<T> type, T target, After after, Before before) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            before.check(method, args);
            try {
                return after.map(method, args, method.invoke(target, args));
            } catch (InvocationTargetException ex) {
                throw ex.getCause();
            }
        }));
    }

    private static void runQueries(JdbcTemplate jdbc, int count) {
        for (int i = 0; i < count; i++) {
            assertThat(jdbc.queryForObject("select ?", Integer.class, i)).isEqualTo(i);
        }
    }

    private static long usedHeapAfterGc() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {

        @Bean
        Heavy heavy(JdbcTemplate jdbc) {
            return new Heavy(jdbc);
        }
    }

    static class Heavy {

        private final JdbcTemplate jdbc;

        Heavy(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Cancellable(timeout = "500ms")
        public Double query() {
            return jdbc.queryForObject(HEAVY_QUERY, Double.class);
        }
    }
}
