package dev.cancellation.jdbc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * A bounded soak on a real PostgreSQL server: threads run statements under tokens whose timeouts race the
 * statements' own end (a plain query, an insert in a transaction, a streaming read of a cursor), beside threads
 * running statements with no token on the same pool of four connections. Not one untokened statement may fail,
 * every tokened one returns its own result or the library's exception, and afterwards the pool is whole. Prints
 * the counts and how late timed-out calls returned after their deadline ({@code SOAK} line on stdout).
 *
 * <p>Runs {@value #DEFAULT_SECONDS} s; {@code -Dcancellation.soak.seconds=N} runs longer.
 */
class PostgresSoakTests {

    static final int DEFAULT_SECONDS = 15;
    private static final int TOKENED_THREADS = 4;
    private static final int UNTOKENED_THREADS = 2;

    private final AtomicInteger ids = new AtomicInteger();
    private final LongAdder ownResults = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder untokened = new LongAdder();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Long> lateMicros = new ConcurrentLinkedQueue<>();

    @Test
    void tokenedStatementsRacingTheirTimeoutsNeverReachUntokenedOnesAndLeaveThePoolWhole() throws Exception {
        Duration soak = Duration.ofSeconds(Long.getLong("cancellation.soak.seconds", DEFAULT_SECONDS));
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(EmbeddedPostgres.url());
        config.setUsername("postgres");
        config.setPassword("");
        config.setPoolName("soak");
        config.setMaximumPoolSize(4);
        config.addDataSourceProperty("ApplicationName", "soak");
        StatementCanceller canceller = new StatementCanceller();
        ExecutorService threads = Executors.newFixedThreadPool(TOKENED_THREADS + UNTOKENED_THREADS);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            try (Connection connection = pool.getConnection(); Statement ddl = connection.createStatement()) {
                ddl.execute("create table if not exists soak_rows (v int)");
            }
            long end = System.nanoTime() + soak.toNanos();
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < TOKENED_THREADS; i++) {
                running.add(threads.submit(() -> {
                    for (int n = 0; System.nanoTime() < end; n++) {
                        tokened(pool, canceller, n % 3);
                    }
                }));
            }
            for (int i = 0; i < UNTOKENED_THREADS; i++) {
                running.add(threads.submit(() -> {
                    while (System.nanoTime() < end) {
                        untokened(pool, canceller);
                    }
                }));
            }
            for (Future<?> thread : running) {
                thread.get(soak.plus(PROMPTLY).toMillis(), TimeUnit.MILLISECONDS);
            }
            await().atMost(PROMPTLY).until(() -> pool.getHikariPoolMXBean().getActiveConnections() == 0);
            List<String> unfinished = unfinishedSessions();

            List<Long> late = new ArrayList<>(lateMicros);
            Collections.sort(late);
            System.out.printf("SOAK %d s on a pool of 4: tokened=%d (own result %d, timed out %d, cancelled %d,"
                    + " other failures %d), untokened=%d (failed %d), connections aborted=%d, cancels sent=%d,"
                    + " not sent (queue full)=%d; timed-out calls returned after their deadline:"
                    + " p50=%.1f ms p99=%.1f ms max=%.1f ms%n", soak.toSeconds(),
                    ownResults.sum() + timedOut.sum() + cancelled.sum() + failures.stream()
                            .filter(f -> f.startsWith("tokened")).count(),
                    ownResults.sum(), timedOut.sum(), cancelled.sum(),
                    failures.stream().filter(f -> f.startsWith("tokened")).count(), untokened.sum(),
                    failures.stream().filter(f -> f.startsWith("untokened")).count(), canceller.abortedConnections(),
                    canceller.cancelledStatements(), canceller.rejectedCancels(), percentile(late, 50),
                    percentile(late, 99), percentile(late, 100));

            assertThat(failures).as("failures").isEmpty();
            assertThat(timedOut.sum()).as("timeouts won some races").isPositive();
            assertThat(ownResults.sum()).as("statements won some races").isPositive();
            assertThat(unfinished).as("sessions of the pool active or in a transaction").isEmpty();
            assertThat(canceller.openExecutions()).isZero();
        } finally {
            threads.shutdownNow();
            canceller.close();
        }
    }

    /** One statement under a token whose timeout races its end: {@code kind} 0 plain, 1 insert, 2 cursor read. */
    private void tokened(HikariDataSource pool, StatementCanceller canceller, int kind) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int sleepMillis = random.nextInt(10, 60);
        long timeoutMillis = Math.max(1, sleepMillis + random.nextInt(-25, 26));
        int id = ids.incrementAndGet();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(timeoutMillis));
                Cancellation.Scope ignored = Cancellation.enter(source.token());
                Connection connection = canceller.wrap(pool.getConnection(), "soak")) {
            int result;
            try {
                result = switch (kind) {
                    case 0 -> plain(connection, id, sleepMillis);
                    case 1 -> insert(connection, id, sleepMillis);
                    default -> cursor(connection, id, sleepMillis);
                };
            } catch (TaskCancelledException ex) {
                if (!connection.getAutoCommit()) {
                    connection.rollback();
                }
                throw ex;
            }
            if (result == id) {
                ownResults.increment();
            } else {
                failures.add("tokened " + kind + ": " + result + " instead of " + id);
            }
        } catch (TaskTimeoutException ex) {
            timedOut.increment();
            lateMicros.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - deadline));
        } catch (TaskCancelledException ex) {
            cancelled.increment();
        } catch (SQLException | RuntimeException ex) {
            failures.add("tokened " + kind + ": " + ex);
        }
    }

    private static int plain(Connection connection, int id, int sleepMillis) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("select ?::int from pg_sleep(?)")) {
            query.setInt(1, id);
            query.setDouble(2, sleepMillis / 1000.0);
            try (ResultSet result = query.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    private static int insert(Connection connection, int id, int sleepMillis) throws SQLException {
        connection.setAutoCommit(false);
        try (PreparedStatement insert = connection.prepareStatement(
                "insert into soak_rows select ? from pg_sleep(?)")) {
            insert.setInt(1, id);
            insert.setDouble(2, sleepMillis / 1000.0);
            int rows = insert.executeUpdate();
            connection.commit();
            return (rows == 1) ? id : -rows;
        }
    }

    private static int cursor(Connection connection, int id, int sleepMillis) throws SQLException {
        connection.setAutoCommit(false); // a cursor: each next row is a fetch that the cancel must reach
        try (PreparedStatement query = connection.prepareStatement(
                "select ?::int, pg_sleep(?) from generate_series(1, 3) g")) {
            query.setFetchSize(1);
            query.setInt(1, id);
            query.setDouble(2, sleepMillis / 3000.0);
            int last = -1;
            try (ResultSet result = query.executeQuery()) {
                while (result.next()) {
                    last = result.getInt(1);
                }
            }
            connection.commit();
            return last;
        }
    }

    private void untokened(HikariDataSource pool, StatementCanceller canceller) {
        int id = ids.incrementAndGet();
        try (Connection connection = canceller.wrap(pool.getConnection(), "soak");
                PreparedStatement query = connection.prepareStatement("select ?::int from pg_sleep(0.005)")) {
            query.setInt(1, id);
            try (ResultSet result = query.executeQuery()) {
                result.next();
                if (result.getInt(1) != id) {
                    failures.add("untokened: " + result.getInt(1) + " instead of " + id);
                }
            }
            untokened.increment();
        } catch (SQLException | RuntimeException ex) {
            failures.add("untokened: " + ex);
        }
    }

    /** Sessions of the pool that are not idle: running, or in a (possibly aborted) transaction. */
    private static List<String> unfinishedSessions() throws SQLException {
        List<String> sessions = new ArrayList<>();
        try (Connection connection = EmbeddedPostgres.server().getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("select pid, state, query from pg_stat_activity"
                        + " where application_name = 'soak' and state <> 'idle'")) {
            while (rows.next()) {
                sessions.add(rows.getInt(1) + " " + rows.getString(2) + ": " + rows.getString(3));
            }
        }
        return sessions;
    }

    private static double percentile(List<Long> sorted, int percent) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index)) / 1000.0;
    }
}
