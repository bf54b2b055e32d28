package dev.cancellation.jdbc;

import static dev.cancellation.jdbc.JdbcTestSupport.STOPPED_WITHIN;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.sql.BatchUpdateException;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGStatement;
import org.postgresql.util.PSQLException;

/**
 * Plain JDBC on a real PostgreSQL server through a {@link StatementCanceller}: batches, callable statements,
 * streaming reads, query timeouts, and a long-lived token that runs many statements.
 */
class PostgresStatementTests {

    /** With the backstop {@code on}, so that its tests see it; {@code auto}, which leaves it out here, below. */
    private final StatementCanceller canceller = new StatementCanceller(QueryTimeoutBackstop.ON,
            Duration.ofSeconds(5), 4);
    private Connection connection;

    @BeforeEach
    void connect() throws SQLException {
        connection = canceller.wrap(DriverManager.getConnection(EmbeddedPostgres.url(), "postgres", ""));
    }

    @AfterEach
    void close() throws SQLException {
        connection.close();
        canceller.close();
    }

    @Test
    void aBatchIsCancelledOnTheServer() throws Exception {
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("create table if not exists batch_rows (v int)");
            ddl.execute("truncate batch_rows");
        }
        try (CancellationSource source = CancellationSource.create();
                PreparedStatement insert = connection.prepareStatement(
                        "insert into batch_rows select ? from pg_sleep(?) where 'batch-marker' <> ''")) {
            insert.setInt(1, 1);
            insert.setInt(2, 0);
            insert.addBatch();
            insert.setInt(1, 2);
            insert.setInt(2, 60);
            insert.addBatch();
            CompletableFuture<int[]> batch = runUnder(source, () -> insert.executeBatch());
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("batch-marker").isEmpty());
            source.cancel(CancellationReason.requested("test"));
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("batch-marker").isEmpty());
            assertThatThrownBy(() -> batch.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).cause()
                    .isInstanceOf(TaskCancelledException.class)
                    .hasCauseInstanceOf(BatchUpdateException.class);
        }
        assertSelectOneWorks();
    }

    @Test
    void aCallableStatementIsCancelledOnTheServer() throws Exception {
        try (Statement ddl = connection.createStatement()) {
            ddl.execute("create or replace procedure slow_procedure(seconds float) language plpgsql"
                    + " as $$ begin perform pg_sleep(seconds); end $$");
        }
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(500));
                CallableStatement call = connection.prepareCall("call slow_procedure(?)")) {
            call.setDouble(1, 60);
            CompletableFuture<Boolean> result = runUnder(source, () -> call.execute());
            assertThatThrownBy(() -> result.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).cause()
                    .isInstanceOf(TaskTimeoutException.class)
                    .hasCauseInstanceOf(PSQLException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("slow_procedure").isEmpty());
        }
        assertSelectOneWorks();
    }

    @Test
    void aStreamingReadIsCancelledWhileTheDriverFetchesTheNextRows() throws Exception {
        connection.setAutoCommit(false); // PostgreSQL streams through a cursor only in a transaction
        try (CancellationSource source = CancellationSource.create();
                PreparedStatement query = connection.prepareStatement("select g, pg_sleep(case when g = 1 then 0"
                        + " else 60 end) from generate_series(1, 3) g where 'stream-marker' <> ''")) {
            query.setFetchSize(1);
            CompletableFuture<Integer> read = runUnder(source, () -> {
                int rows = 0;
                try (ResultSet result = query.executeQuery()) {
                    while (result.next()) {
                        rows++;
                    }
                }
                return rows;
            });
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("stream-marker").isEmpty());
            source.cancel(CancellationReason.requested("test"));
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("stream-marker").isEmpty());
            assertThatThrownBy(() -> read.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).cause()
                    .isInstanceOf(TaskCancelledException.class)
                    .hasCauseInstanceOf(PSQLException.class);
        }
        connection.rollback();
        connection.setAutoCommit(true);
        assertSelectOneWorks();
        assertThat(canceller.openExecutions()).isZero();
    }

    @Test
    void aStatementGetsTheRemainingBudgetAsQueryTimeoutRoundedUpAndItsOwnBackAfterwards() throws Exception {
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(2500));
                PreparedStatement query = connection.prepareStatement(
                        "select 1 from pg_sleep(?) where 'timeout-marker' <> ''")) {
            Statement driverStatement = (Statement) query.unwrap(PGStatement.class);
            query.setInt(1, 60);
            CompletableFuture<Boolean> result = runUnder(source, () -> query.execute());
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("timeout-marker").isEmpty());
            assertThat(driverStatement.getQueryTimeout()).isEqualTo(3);
            assertThatThrownBy(() -> result.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).cause()
                    .isInstanceOf(TaskTimeoutException.class);
            assertThat(query.getQueryTimeout()).as("the application's own, seen through the proxy").isZero();

            query.setInt(1, 0);
            query.execute(); // no token: the application's timeout is back on the driver
            assertThat(driverStatement.getQueryTimeout()).isZero();
            try (CancellationSource other = CancellationSource.withTimeout(Duration.ofSeconds(30))) {
                runUnder(other, () -> query.execute()).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            }
            assertThat(driverStatement.getQueryTimeout()).isEqualTo(30);
        }
    }

    @Test
    void autoSetsNoQueryTimeoutOnPostgresAndTheCancelAloneStopsTheStatement() throws Exception {
        StatementCanceller auto = new StatementCanceller();
        try (Connection autoConnection = auto.wrap(DriverManager.getConnection(EmbeddedPostgres.url(), "postgres",
                ""));
                CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(700));
                PreparedStatement query = autoConnection.prepareStatement(
                        "select 1 from pg_sleep(?) where 'auto-marker' <> ''")) {
            Statement driverStatement = (Statement) query.unwrap(PGStatement.class);
            query.setInt(1, 60);
            CompletableFuture<Boolean> result = runUnder(source, () -> query.execute());
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("auto-marker").isEmpty());
            assertThat(driverStatement.getQueryTimeout()).as("no backstop on PgJDBC under auto").isZero();
            assertThatThrownBy(() -> result.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).cause()
                    .isInstanceOf(TaskTimeoutException.class);
            assertThat(auto.cancelledStatements()).isOne();
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("auto-marker").isEmpty());
        } finally {
            auto.close();
        }
    }

    @Test
    void aFarDeadlineSetsNoQueryTimeoutAndTheStatementRuns() throws Exception {
        try (PreparedStatement query = connection.prepareStatement("select ?")) {
            Statement driverStatement = (Statement) query.unwrap(PGStatement.class);
            query.setQueryTimeout(7);
            int value = 0;
            for (CancellationSource source : new CancellationSource[] {CancellationSource.withDeadline(Instant.MAX),
                    CancellationSource.withTimeout(Duration.ofSeconds(Long.MAX_VALUE)),
                    CancellationSource.withTimeout(Duration.ofDays(365L * 100))}) {
                int expected = ++value;
                try (source) {
                    query.setInt(1, expected);
                    Integer result = runUnder(source, () -> {
                        try (ResultSet rows = query.executeQuery()) {
                            rows.next();
                            return rows.getInt(1);
                        }
                    }).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                    assertThat(result).isEqualTo(expected);
                    assertThat(driverStatement.getQueryTimeout()).as("the application's own").isEqualTo(7);
                }
            }
        }
    }

    @Test
    void aShorterQueryTimeoutOfTheApplicationIsKept() throws Exception {
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                PreparedStatement query = connection.prepareStatement("select 1 from pg_sleep(60)")) {
            query.setQueryTimeout(1);
            CompletableFuture<Boolean> result = runUnder(source, () -> query.execute());
            // the driver's own timeout fires, the token is live: the driver's exception, untranslated
            assertThatThrownBy(() -> result.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).cause()
                    .isNotInstanceOf(TaskCancelledException.class)
                    .hasCauseInstanceOf(PSQLException.class);
            assertThat(query.getQueryTimeout()).isOne();
        }
        assertSelectOneWorks();
    }

    @Test
    void aLongLivedTokenHoldsNothingPerStatement() throws Exception {
        try (CancellationSource source = CancellationSource.create();
                Cancellation.Scope ignored = Cancellation.enter(source.token());
                PreparedStatement query = connection.prepareStatement("select ?")) {
            for (int i = 0; i < 2_000; i++) {
                query.setInt(1, i);
                try (ResultSet result = query.executeQuery()) {
                    assertThat(result.next()).isTrue();
                }
                query.execute(); // result set left to the next execution to close
            }
            try (Statement other = connection.createStatement()) {
                other.executeUpdate("set application_name = 'long-lived'");
            }
            assertThat(canceller.openExecutions()).as("the last execute()'s result set is open").isOne();
        }
        assertThat(canceller.openExecutions()).isZero();
    }

    private void assertSelectOneWorks() throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery("select 1")) {
            assertThat(result.next()).isTrue();
        }
    }

    interface SqlCall<T> {
        T call() throws SQLException;
    }

    private static <T> CompletableFuture<T> runUnder(CancellationSource source, SqlCall<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try (Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                return work.call();
            } catch (SQLException ex) {
                throw new IllegalStateException(ex);
            }
        });
    }
}
