package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.jdbc.QueryTimeoutBackstop;
import dev.cancellation.jdbc.StatementCanceller;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JDBC row on PostgreSQL: the cost of one statement as {@code JdbcTemplate} runs it (prepare, bind, execute, read
 * the row, close) with PgJDBC on Zonky's embedded server on loopback, each JMH thread on connections of its own
 * (run it with {@code -t 8} for a connection pool's concurrency):
 * <ul>
 *   <li>{@code raw}: the undecorated connection (the baseline);</li>
 *   <li>{@code decorated_token_backstop}: wrapped by {@link StatementCanceller} under a live token with a
 *       deadline and {@code query-timeout=on}: PgJDBC schedules a cancel task on its shared
 *       {@code java.util.Timer} for every statement with a query timeout, and cancels it when the statement
 *       returns;</li>
 *   <li>{@code decorated_token_auto}: the same with {@code query-timeout=auto}, the default, which sets no query
 *       timeout on PgJDBC;</li>
 *   <li>{@code decorated_token_cancelOnly}: the same with {@code query-timeout=off}: only the cancel.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PostgresStatementBenchmark {

    /** The server, shared by all threads of one fork. */
    @State(Scope.Benchmark)
    public static class Server {

        EmbeddedPostgres postgres;
        DataSource dataSource;
        final StatementCanceller backstop = new StatementCanceller(QueryTimeoutBackstop.ON, Duration.ofSeconds(5),
                4);
        final StatementCanceller auto = new StatementCanceller();
        final StatementCanceller cancelOnly = new StatementCanceller(QueryTimeoutBackstop.OFF,
                Duration.ofSeconds(5), 4);

        @Setup(Level.Trial)
        public void start() throws IOException {
            postgres = EmbeddedPostgres.builder().start();
            dataSource = postgres.getPostgresDatabase();
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            backstop.close();
            auto.close();
            cancelOnly.close();
            postgres.close();
        }
    }

    private Connection raw;
    private Connection backstop;
    private Connection auto;
    private Connection cancelOnly;
    private CancellationSource source;
    private CancellationToken token;
    private int parameter;

    @Setup
    public void setUp(Server server) throws SQLException {
        raw = server.dataSource.getConnection();
        backstop = server.backstop.wrap(server.dataSource.getConnection());
        auto = server.auto.wrap(server.dataSource.getConnection());
        cancelOnly = server.cancelOnly.wrap(server.dataSource.getConnection());
        source = CancellationSource.withTimeout(Duration.ofHours(1));
        token = source.token();
    }

    @TearDown
    public void tearDown() throws SQLException {
        raw.close();
        backstop.close();
        auto.close();
        cancelOnly.close();
        source.close();
    }

    @Benchmark
    public int raw() throws SQLException {
        return selectOne(raw);
    }

    @Benchmark
    public int decorated_token_backstop() throws SQLException {
        try (Cancellation.Scope ignored = Cancellation.enter(token)) {
            return selectOne(backstop);
        }
    }

    @Benchmark
    public int decorated_token_auto() throws SQLException {
        try (Cancellation.Scope ignored = Cancellation.enter(token)) {
            return selectOne(auto);
        }
    }

    @Benchmark
    public int decorated_token_cancelOnly() throws SQLException {
        try (Cancellation.Scope ignored = Cancellation.enter(token)) {
            return selectOne(cancelOnly);
        }
    }

    private int selectOne(Connection connection) throws SQLException {
        return SelectOne.run(connection, "select ?::int", ++parameter);
    }
}
