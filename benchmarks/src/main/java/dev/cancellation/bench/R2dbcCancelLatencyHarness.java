package dev.cancellation.bench;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.r2dbc.R2dbcStatementCanceller;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.Statement;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;

/**
 * R2DBC row: cancel-to-stopped latency on a real PostgreSQL (Zonky's embedded server on loopback), the R2DBC
 * counterpart of {@link JdbcCancelLatencyHarness}. Per round a subscriber runs {@code pg_sleep(60)} through an
 * r2dbc-postgresql connection wrapped by {@link R2dbcStatementCanceller}, with a token in its Reactor context;
 * once the query is active in {@code pg_stat_activity}, the token is cancelled and two instants are taken: when
 * the subscriber gets its {@code TaskCancelledException} (the caller is free), and when {@code pg_stat_activity}
 * no longer shows the query active (polled every 0.1 ms over JDBC on a connection of its own: the server stopped
 * it). Rounds alternate between a statement without parameters (PostgreSQL's simple query protocol, as
 * {@code DatabaseClient} runs literal SQL) and one with a bound parameter (the extended query protocol, as Spring
 * Data R2DBC's repository queries run), one line each.
 *
 * <p>Usage: {@code R2dbcCancelLatencyHarness ROUNDS OUTPUT_FILE} (ROUNDS of each kind).
 */
public final class R2dbcCancelLatencyHarness {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private R2dbcCancelLatencyHarness() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        Path output = Path.of(args[1]);
        long[][] toCaller = new long[2][rounds];
        long[][] toServerStopped = new long[2][rounds];
        // r2dbc-postgresql hands the server's "canceling statement due to user request" to a result nobody reads
        // any more; Reactor would log each at ERROR (docs/sql.md, known noise)
        Hooks.onErrorDropped(dropped -> { });
        R2dbcStatementCanceller canceller = new R2dbcStatementCanceller();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
                java.sql.Connection observer = postgres.getPostgresDatabase().getConnection();
                PreparedStatement active = observer.prepareStatement("select count(*) from pg_stat_activity"
                        + " where state = 'active' and query like '%latency-marker%' and pid <> pg_backend_pid()")) {
            Connection worker = canceller.wrap(Flux.from(ConnectionFactories.get("r2dbc:postgresql://postgres@127.0.0.1:"
                    + postgres.getPort() + "/postgres").create()).blockFirst(WAIT), "harness");
            for (int round = -10; round < 2 * rounds; round++) { // 10 warm-up rounds, 5 of each kind
                boolean bound = (Math.floorMod(round, 2) == 1);
                Statement sleep = bound
                        ? worker.createStatement("select pg_sleep($1) where 'latency-marker' <> ''").bind(0, 60)
                        : worker.createStatement("select pg_sleep(60) where 'latency-marker' <> ''");
                CancellationSource source = CancellationSource.create();
                CompletableFuture<Long> failed = new CompletableFuture<>();
                Flux.from(sleep.execute()).concatMap(result -> result.map((row, metadata) -> 1))
                        .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()))
                        .subscribe(row -> failed.completeExceptionally(new IllegalStateException("pg_sleep ended")),
                                error -> {
                                    long at = System.nanoTime();
                                    if (error instanceof TaskCancelledException) {
                                        failed.complete(at);
                                    } else {
                                        failed.completeExceptionally(error);
                                    }
                                },
                                () -> failed.completeExceptionally(new IllegalStateException("pg_sleep(60) ended")));
                long waitUntil = System.nanoTime() + WAIT.toNanos();
                while (activeCount(active) == 0) {
                    if (System.nanoTime() > waitUntil) {
                        throw new IllegalStateException("the query never became active");
                    }
                }
                long cancelled = System.nanoTime();
                source.cancel(CancellationReason.requested("harness"));
                long stoppedLimit = cancelled + WAIT.toNanos();
                while (activeCount(active) != 0) {
                    if (System.nanoTime() > stoppedLimit) {
                        throw new IllegalStateException("the query was not stopped on the server");
                    }
                    TimeUnit.MICROSECONDS.sleep(100);
                }
                long stopped = System.nanoTime();
                long callerFreed = failed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                if (round >= 0) {
                    int kind = bound ? 1 : 0;
                    toCaller[kind][round / 2] = callerFreed - cancelled;
                    toServerStopped[kind][round / 2] = stopped - cancelled;
                }
            }
            Flux.from(worker.close()).blockLast(WAIT);
        }
        String report = String.format(Locale.ROOT,
                "R2DBC cancel-to-stopped on PostgreSQL 14 (embedded, loopback), r2dbc-postgresql, %d rounds of each,"
                        + " %s%n%s%n%s%n%s%n%s%n",
                rounds, System.getProperty("java.version"),
                line("simple protocol: cancel -> subscriber gets the exception", toCaller[0]),
                line("simple protocol: cancel -> gone from pg_stat_activity", toServerStopped[0]),
                line("bound parameter: cancel -> subscriber gets the exception", toCaller[1]),
                line("bound parameter: cancel -> gone from pg_stat_activity", toServerStopped[1]));
        System.out.print(report);
        Files.writeString(output, report, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        System.out.println("cancel requests sent: " + canceller.cancelledStatements() + ", connections closed: "
                + canceller.invalidatedConnections());
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
