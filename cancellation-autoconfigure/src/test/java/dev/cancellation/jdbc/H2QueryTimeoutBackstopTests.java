package dev.cancellation.jdbc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The query timeout backstop per driver: H2 runs each {@code setQueryTimeout} as a {@code SET QUERY_TIMEOUT}
 * command, so {@code auto} leaves it out there and the cancel alone stops the statement; {@code on} keeps it.
 * (PostgreSQL under {@code auto} leaves it out too: {@code PostgresStatementTests}.)
 */
class H2QueryTimeoutBackstopTests {

    @Test
    void autoSetsNoQueryTimeoutOnH2AndTheCancelStillStopsTheStatement() throws Exception {
        StatementCanceller canceller = new StatementCanceller();
        AtomicInteger setQueryTimeouts = new AtomicInteger();
        try (Connection h2 = DriverManager.getConnection("jdbc:h2:mem:auto")) {
            Connection connection = canceller.wrap(counting(h2, setQueryTimeouts, new ArrayList<>()));
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                    Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                for (int i = 0; i < 100; i++) {
                    try (PreparedStatement statement = connection.prepareStatement("select ?")) {
                        statement.setInt(1, i);
                        try (ResultSet rows = statement.executeQuery()) {
                            assertThat(rows.next()).isTrue();
                            assertThat(rows.getInt(1)).isEqualTo(i);
                        }
                    }
                }
            }
            assertThat(setQueryTimeouts).as("setQueryTimeout calls reaching H2 for 100 statements").hasValue(0);

            long start = System.nanoTime();
            try (Statement statement = connection.createStatement();
                    CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(300));
                    Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                assertThatThrownBy(() -> statement.executeQuery(H2StatementTests.HEAVY_QUERY))
                        .isInstanceOf(TaskTimeoutException.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("stopped by the cancel").isLessThan(PROMPTLY);
            assertThat(canceller.cancelledStatements()).isOne();
            assertThat(setQueryTimeouts).hasValue(0);
        } finally {
            canceller.close();
        }
    }

    @Test
    void onKeepsTheBackstopOnH2() throws Exception {
        StatementCanceller canceller = new StatementCanceller(QueryTimeoutBackstop.ON, Duration.ofSeconds(5), 4);
        AtomicInteger setQueryTimeouts = new AtomicInteger();
        List<Integer> set = new ArrayList<>();
        try (Connection h2 = DriverManager.getConnection("jdbc:h2:mem:on")) {
            Connection connection = canceller.wrap(counting(h2, setQueryTimeouts, set));
            try (Statement statement = connection.createStatement()) {
                try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(2500));
                        Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                    statement.execute("select 1");
                }
                assertThat(statement.getQueryTimeout()).as("the application's own, seen through the proxy").isZero();
            }
            assertThat(set).as("the budget (2.5 s rounded up), then the application's own at close")
                    .containsExactly(3, 0);
            assertThat(setQueryTimeouts).hasValue(2);
        } finally {
            canceller.close();
        }
    }

    @Test
    void theStarterLeavesH2sQueryTimeoutAlone() {
        JdbcTestSupport.runner().withPropertyValues("spring.datasource.url=jdbc:h2:mem:starter").run(context -> {
            StatementCanceller canceller = context.getBean(CancellableDataSourcePostProcessor.class).canceller();
            assertThat(canceller.queryTimeout()).isEqualTo(QueryTimeoutBackstop.AUTO);
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                    Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                assertThat(jdbc.queryForObject("select 1", Integer.class)).isOne();
                // H2's session setting would be the budget (30 s) had the edge set it
                assertThat(jdbc.queryForObject(
                        "select setting_value from information_schema.settings where setting_name = 'QUERY_TIMEOUT'",
                        String.class)).isEqualTo("0");
            }
        });
    }

    @Test
    void autoAsksTheDriverOncePerDataSourceAndKeepsTheBackstopWhenTheDriverCannotTell() throws Exception {
        StatementCanceller canceller = new StatementCanceller();
        AtomicInteger metadataCalls = new AtomicInteger();
        Object dataSource = new Object();
        try (Connection h2 = DriverManager.getConnection("jdbc:h2:mem:once")) {
            Connection counted = H2StatementTests.forward(Connection.class, h2, (method, args, result) -> result,
                    (method, args) -> {
                        if (method.getName().equals("getMetaData")) {
                            metadataCalls.incrementAndGet();
                        }
                    });
            assertThat(canceller.queryTimeoutBackstop(counted, dataSource)).isFalse();
            assertThat(canceller.queryTimeoutBackstop(counted, dataSource)).isFalse();
            assertThat(metadataCalls).as("driver asked once for the data source").hasValue(1);

            Connection mute = H2StatementTests.forward(Connection.class, h2, (method, args, result) -> result,
                    (method, args) -> {
                        if (method.getName().equals("getMetaData")) {
                            throw new SQLFeatureNotSupportedException("no metadata");
                        }
                    });
            assertThat(canceller.queryTimeoutBackstop(mute, null)).as("a driver that cannot tell keeps it")
                    .isTrue();
        } finally {
            canceller.close();
        }
    }

    /** {@code h2}, counting the {@code setQueryTimeout} calls that reach its statements, and their values. */
    private static Connection counting(Connection h2, AtomicInteger setQueryTimeouts, List<Integer> values) {
        return H2StatementTests.forward(Connection.class, h2, (method, args, result) -> {
            if (result instanceof PreparedStatement prepared) {
                return countingStatement(PreparedStatement.class, prepared, setQueryTimeouts, values);
            }
            if (result instanceof Statement statement) {
                return countingStatement(Statement.class, statement, setQueryTimeouts, values);
            }
            return result;
        }, (method, args) -> { });
    }

    private static <S extends Statement> S countingStatement(Class<S> type, S statement, AtomicInteger counter,
            List<Integer> values) {
        return H2StatementTests.forward(type, statement, (call, callArgs, result) -> result, (call, callArgs) -> {
            if (call.getName().equals("setQueryTimeout")) {
                counter.incrementAndGet();
                values.add((Integer) callArgs[0]);
            }
        });
    }
}
