package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.jdbc.StatementCanceller;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * JDBC row: cancel-to-stopped latency on a real PostgreSQL (Zonky's embedded server on loopback). Per round a
 * thread runs {@code select pg_sleep(60)} under a token through a {@link StatementCanceller}-wrapped connection;
 * once the query is active in {@code pg_stat_activity}, the token is cancelled and two instants are taken:
 * when the statement's thread gets its exception (the caller is free), and when {@code pg_stat_activity} no
 * longer shows the query active (polled every 0.1 ms on a second connection: the server stopped it).
 *
 * <p>Usage: {@code JdbcCancelLatencyHarness ROUNDS OUTPUT_FILE}.
 */
public final class JdbcCancelLatencyHarness {

    private JdbcCancelLatencyHarness() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        Path output = Path.of(args[1]);
        long[] toCaller = new long[rounds];
        long[] toServerStopped = new long[rounds];
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
                StatementCanceller canceller = new StatementCanceller()) {
            try (Connection worker = canceller.wrap(postgres.getPostgresDatabase().getConnection());
                    Connection observer = postgres.getPostgresDatabase().getConnection();
                    PreparedStatement active = observer.prepareStatement("select count(*) from pg_stat_activity"
                            + " where state = 'active' and query like '%latency-marker%' and pid <> pg_backend_pid()")) {
                for (int round = -5; round < rounds; round++) { // 5 warm-up rounds
                    CancellationSource source = CancellationSource.create();
                    CompletableFuture<Long> failed = CompletableFuture.supplyAsync(() -> {
                        try (Cancellation.Scope ignored = Cancellation.enter(source.token());
                                PreparedStatement sleep = worker.prepareStatement(
                                        "select pg_sleep(60) where 'latency-marker' <> ''")) {
                            sleep.execute();
                            throw new IllegalStateException("pg_sleep(60) was not cancelled");
                        } catch (TaskCancelledException expected) {
                            return System.nanoTime();
                        } catch (SQLException ex) {
                            throw new IllegalStateException(ex);
                        }
                    });
                    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (activeCount(active) == 0) {
                        if (System.nanoTime() > waitUntil) {
                            throw new IllegalStateException("the query never became active");
                        }
                    }
                    long cancelled = System.nanoTime();
                    source.cancel(CancellationReason.requested("harness"));
                    long stoppedLimit = cancelled + TimeUnit.SECONDS.toNanos(10);
                    while (activeCount(active) != 0) {
                        if (System.nanoTime() > stoppedLimit) {
                            throw new IllegalStateException("the query was not stopped on the server");
                        }
                        TimeUnit.MICROSECONDS.sleep(100);
                    }
                    long stopped = System.nanoTime();
                    long callerFreed = failed.get(10, TimeUnit.SECONDS);
                    if (round >= 0) {
                        toCaller[round] = callerFreed - cancelled;
                        toServerStopped[round] = stopped - cancelled;
                    }
                }
            }
        }
        String report = String.format(Locale.ROOT,
                "JDBC cancel-to-stopped on PostgreSQL 14 (embedded, loopback), %d rounds, %s%n%s%n%s%n", rounds,
                System.getProperty("java.version"), line("cancel -> caller gets the exception", toCaller),
                line("cancel -> gone from pg_stat_activity (server stopped it)", toServerStopped));
        System.out.print(report);
        Files.writeString(output, report, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    private static long activeCount(PreparedStatement active) throws SQLException {
        try (ResultSet result = active.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }

    private static String line(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "  %-58s p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  max %6.2f ms", what,
                ms(sorted[sorted.length / 2]), ms(sorted[(int) (sorted.length * 0.9)]),
                ms(sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))]), ms(sorted[sorted.length - 1]));
    }

    private static double ms(long nanos) {
        return nanos / 1_000_000.0;
    }
}
