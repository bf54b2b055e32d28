package dev.cancellation.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.jdbc.QueryTimeoutBackstop;
import dev.cancellation.jdbc.StatementCanceller;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What the query-timeout backstop costs the application's CPU per statement on PostgreSQL: the JVM's own CPU time
 * (all its threads: the caller, PgJDBC's shared timer thread, GC), which a wall-clock JMH row of a loopback round
 * trip cannot show, and which is what a CPU-bound service loses in requests per second. The server runs in a
 * process of its own and is not counted.
 *
 * <p>Rows, one connection each, all under one live token with a deadline, in interleaved rounds of the same JVM:
 * {@code raw} (no wrapper, no token), {@code off} (cancel only), {@code auto} (the default), {@code on} (the
 * backstop: PgJDBC schedules a {@code java.util.Timer} task per statement and cancels it on return).
 *
 * <p>Usage: {@code QueryTimeoutCpuHarness STATEMENTS_PER_ROUND ROUNDS [OUTPUT_FILE]}; prints each round and the
 * median per row (the first round is warm-up and left out of the median).
 */
public final class QueryTimeoutCpuHarness {

    private QueryTimeoutCpuHarness() {
    }

    public static void main(String[] args) throws Exception {
        int statements = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        PrintStream out = (args.length > 2) ? new PrintStream(Files.newOutputStream(Path.of(args[2])), true) : null;
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        List<StatementCanceller> cancellers = new ArrayList<>();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start();
                CancellationSource source = CancellationSource.withTimeout(Duration.ofHours(1))) {
            DataSource dataSource = postgres.getPostgresDatabase();
            Map<String, Connection> rows = new LinkedHashMap<>();
            rows.put("raw", dataSource.getConnection());
            for (QueryTimeoutBackstop backstop : QueryTimeoutBackstop.values()) {
                StatementCanceller canceller = new StatementCanceller(backstop, Duration.ofSeconds(5), 4);
                cancellers.add(canceller);
                rows.put(backstop.name().toLowerCase(), canceller.wrap(dataSource.getConnection()));
            }
            Map<String, double[]> cpu = new LinkedHashMap<>();
            Map<String, double[]> wall = new LinkedHashMap<>();
            rows.keySet().forEach(row -> {
                cpu.put(row, new double[rounds]);
                wall.put(row, new double[rounds]);
            });
            print(out, "PostgreSQL " + postgres.getPort() + ", " + statements + " statements per row and round, "
                    + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " processors");
            for (int round = 0; round < rounds; round++) {
                for (Map.Entry<String, Connection> row : rows.entrySet()) {
                    long cpuBefore = os.getProcessCpuTime();
                    long wallBefore = System.nanoTime();
                    try (Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                        for (int i = 0; i < statements; i++) {
                            SelectOne.run(row.getValue(), "select ?::int", i);
                        }
                    }
                    double cpuMicros = (os.getProcessCpuTime() - cpuBefore) / 1000.0 / statements;
                    double wallMicros = (System.nanoTime() - wallBefore) / 1000.0 / statements;
                    print(out, String.format("round %d %-4s %7.2f us CPU %7.2f us wall per statement", round,
                            row.getKey(), cpuMicros, wallMicros));
                    cpu.get(row.getKey())[round] = cpuMicros;
                    wall.get(row.getKey())[round] = wallMicros;
                }
            }
            print(out, "median of rounds 1-" + (rounds - 1) + ":");
            for (String row : rows.keySet()) {
                print(out, String.format("  %-4s %7.2f us CPU %7.2f us wall per statement", row,
                        ShutdownHarness.medianAfterFirst(cpu.get(row)),
                        ShutdownHarness.medianAfterFirst(wall.get(row))));
            }
            for (Connection connection : rows.values()) {
                connection.close();
            }
        } finally {
            cancellers.forEach(StatementCanceller::close);
            if (out != null) {
                out.close();
            }
        }
    }

    private static void print(PrintStream file, String line) {
        System.out.println(line);
        if (file != null) {
            file.println(line);
        }
    }
}
