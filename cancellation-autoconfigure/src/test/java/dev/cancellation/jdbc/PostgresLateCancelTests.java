package dev.cancellation.jdbc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.jdbc.DataSourceUnwrapper;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A cancel that is still on its way when its statement returns never reaches another statement: the connection is
 * aborted and the pool discards it; a cancel that never started is withdrawn, and one the full queue refused is not
 * sent, so neither costs a connection. On a real PostgreSQL server, whose cancel request cancels whatever the
 * session runs when it arrives.
 */
@ExtendWith(OutputCaptureExtension.class)
class PostgresLateCancelTests {

    @Test
    void aCancelStillOnItsWayWhenTheFetchReturnsAbortsTheConnectionAndNeverHitsTheNextBorrower(
            CapturedOutput output) {
        JdbcTestSupport.postgres().withPropertyValues("cancellation.jdbc.cancel-wait=200ms").run(context -> {
            DataSource dataSource = context.getBean(DataSource.class);
            HikariDataSource pool = DataSourceUnwrapper.unwrap(dataSource, HikariDataSource.class);
            StatementCanceller canceller = context.getBean(CancellableDataSourcePostProcessor.class).canceller();
            CountDownLatch cancelStarted = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            canceller.beforeDriverCancel(() -> {
                cancelStarted.countDown();
                awaitLatch(release); // a slow network: the cancel request is on its way
            });
            CountDownLatch fetching = new CountDownLatch(1);
            int[] firstPid = new int[1];
            try (CancellationSource source = CancellationSource.create()) {
                CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
                    try (Cancellation.Scope ignored = Cancellation.enter(source.token());
                            Connection connection = dataSource.getConnection()) {
                        firstPid[0] = pid(connection);
                        connection.setAutoCommit(false); // PostgreSQL streams through a cursor in a transaction
                        int rows = 0;
                        try (PreparedStatement query = connection.prepareStatement("select g, pg_sleep(case when"
                                + " g = 2 then 1 else 0 end) from generate_series(1, 3) g where 'late-marker' <> ''")) {
                            query.setFetchSize(1);
                            try (ResultSet result = query.executeQuery()) {
                                rows += result.next() ? 1 : 0;
                                fetching.countDown();
                                rows += result.next() ? 1 : 0; // the driver fetches row 2: PGConnection.cancelQuery
                                rows += result.next() ? 1 : 0; // refused: the token is cancelled
                            }
                        } catch (TaskCancelledException ex) {
                            connection.rollback();
                            return rows;
                        }
                        return -rows;
                    } catch (SQLException ex) {
                        throw new IllegalStateException(ex);
                    }
                });
                assertThat(fetching.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("late-marker").isEmpty());
                source.cancel(CancellationReason.requested("test"));
                assertThat(cancelStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                // the fetch returns (pg_sleep(1) ends), the cancel is still on its way after the 200 ms wait
                assertThat(read.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).as("rows read").isEqualTo(2);
            }
            assertThat(canceller.abortedConnections()).isOne();
            assertThat(output).contains("Connection of DataSource 'dataSource' aborted");

            // the next borrower (a pool of one): its statement runs while the late cancel lands
            CompletableFuture<Integer> next = CompletableFuture.supplyAsync(() -> {
                try (Connection connection = dataSource.getConnection();
                        Statement statement = connection.createStatement();
                        ResultSet result = statement.executeQuery(
                                "select pg_backend_pid() from pg_sleep(1.5) where 'next-marker' <> ''")) {
                    result.next();
                    return result.getInt(1);
                } catch (SQLException ex) {
                    throw new IllegalStateException(ex);
                }
            });
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("next-marker").isEmpty());
            long finished = canceller.cancelsFinished();
            release.countDown();
            await().atMost(PROMPTLY).until(() -> canceller.cancelsFinished() > finished);
            int nextPid = next.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS); // not cancelled
            assertThat(nextPid).as("a new physical connection").isNotEqualTo(firstPid[0]);
            await().atMost(PROMPTLY).until(() -> EmbeddedPostgres.lastQuery(firstPid[0]) == null);
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isZero();
            assertThat(pool.getHikariPoolMXBean().getTotalConnections()).isLessThanOrEqualTo(1);
        });
    }

    @Test
    void aMassCancelAbortsOnlyTheConnectionWhoseCancelStartedNotThoseWithdrawnOrRefusedByTheFullQueue() {
        JdbcTestSupport.postgres().withPropertyValues("spring.datasource.hikari.maximum-pool-size=3",
                "cancellation.jdbc.cancel-wait=200ms", "cancellation.jdbc.cancel-threads=1",
                "cancellation.jdbc.cancel-queue-capacity=1").run(context -> {
                    DataSource dataSource = context.getBean(DataSource.class);
                    StatementCanceller canceller =
                            context.getBean(CancellableDataSourcePostProcessor.class).canceller();
                    CountDownLatch release = new CountDownLatch(1);
                    canceller.beforeDriverCancel(() -> awaitLatch(release));
                    List<CompletableFuture<Integer>> calls = new ArrayList<>();
                    // a thread per call: the common pool may have a single worker, which would run them in turn
                    ExecutorService threads = Executors.newFixedThreadPool(3);
                    try (CancellationSource shutdown = CancellationSource.create()) {
                        for (int i = 0; i < 3; i++) {
                            String marker = "mass-marker-" + i;
                            calls.add(CompletableFuture.supplyAsync(() -> {
                                try (Cancellation.Scope ignored = Cancellation.enter(shutdown.token());
                                        Connection connection = dataSource.getConnection();
                                        Statement statement = connection.createStatement()) {
                                    int pid = pid(connection);
                                    // returns normally: its cancel never reaches the driver (rows would be refused)
                                    statement.execute("select 1 from pg_sleep(3) where '" + marker + "' <> ''");
                                    return pid;
                                } catch (SQLException ex) {
                                    throw new IllegalStateException(ex);
                                }
                            }, threads));
                            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries(marker).isEmpty());
                        }
                        // one cancel runs (and hangs), one waits in the queue of one, one finds the queue full
                        shutdown.cancel(CancellationReason.shutdown("test"));
                        List<Integer> pids = new ArrayList<>();
                        for (CompletableFuture<Integer> call : calls) {
                            pids.add(call.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)); // ended on their own
                        }
                        assertThat(canceller.rejectedCancels()).isOne();
                        assertThat(canceller.abortedConnections()).as("only the one whose cancel started").isOne();
                        release.countDown();
                        await().atMost(PROMPTLY).until(() -> canceller.cancelsFinished() == 1);
                        await().atMost(PROMPTLY).until(() -> pids.stream()
                                .filter(pid -> EmbeddedPostgres.lastQuery(pid) != null).count() == 2);
                    } finally {
                        threads.shutdownNow();
                    }
                });
    }

    private static int pid(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("select pg_backend_pid()")) {
            result.next();
            return result.getInt(1);
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            latch.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
