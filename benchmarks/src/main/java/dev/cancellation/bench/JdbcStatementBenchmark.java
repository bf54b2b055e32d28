package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.jdbc.QueryTimeoutBackstop;
import dev.cancellation.jdbc.StatementCanceller;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import net.ttddyy.dsproxy.ExecutionInfo;
import net.ttddyy.dsproxy.QueryInfo;
import net.ttddyy.dsproxy.listener.QueryExecutionListener;
import net.ttddyy.dsproxy.support.ProxyDataSourceBuilder;
import org.h2.jdbcx.JdbcDataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * JDBC row: the cost of one statement as {@code JdbcTemplate} runs it (prepare, bind, execute, read the row,
 * close), on H2 in memory, so that the driver's own work is small and the decoration's cost shows:
 * <ul>
 *   <li>{@code raw}: the undecorated connection (the baseline);</li>
 *   <li>{@code decorated_noToken}: a connection wrapped by {@link StatementCanceller}, no current token: what
 *       every statement outside cancellable code pays;</li>
 *   <li>{@code decorated_token}: the same under a live token with a deadline and {@code query-timeout=on}:
 *       registration on the token, query timeout set and restored, the result set guarded (the scope enter/close
 *       is included, a few ns);</li>
 *   <li>{@code decorated_token_auto}: the same with {@code query-timeout=auto}, the default, which sets no query
 *       timeout on H2;</li>
 *   <li>{@code decorated_token_noQueryTimeout}: the same with query timeouts off: H2 runs a
 *       {@code SET QUERY_TIMEOUT} command for each {@code setQueryTimeout}, which the other drivers store in a
 *       field;</li>
 *   <li>{@code datasourceProxy_noopListener}: {@code net.ttddyy:datasource-proxy} with a no-op query listener,
 *       the library alternative to the hand-written wrappers, doing nothing at all.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JdbcStatementBenchmark {

    private final StatementCanceller canceller = new StatementCanceller(QueryTimeoutBackstop.ON,
            Duration.ofSeconds(5), 4);
    private final StatementCanceller auto = new StatementCanceller();
    private final StatementCanceller cancelOnly = new StatementCanceller(false, Duration.ofSeconds(5), 4);
    private Connection raw;
    private Connection decorated;
    private Connection decoratedCancelOnly;
    private Connection decoratedAuto;
    private Connection datasourceProxy;
    private CancellationSource source;
    private CancellationToken token;
    private int parameter;

    @Setup
    public void setUp() throws SQLException {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:bench;DB_CLOSE_DELAY=-1");
        raw = h2.getConnection();
        decorated = canceller.wrap(h2.getConnection());
        decoratedCancelOnly = cancelOnly.wrap(h2.getConnection());
        decoratedAuto = auto.wrap(h2.getConnection());
        DataSource proxied = ProxyDataSourceBuilder.create(h2).listener(new QueryExecutionListener() {
            @Override
            public void beforeQuery(ExecutionInfo execInfo, List<QueryInfo> queryInfoList) {
            }

            @Override
            public void afterQuery(ExecutionInfo execInfo, List<QueryInfo> queryInfoList) {
            }
        }).build();
        datasourceProxy = proxied.getConnection();
        source = CancellationSource.withTimeout(Duration.ofHours(1));
        token = source.token();
    }

    @TearDown
    public void tearDown() throws SQLException {
        raw.close();
        decorated.close();
        decoratedCancelOnly.close();
        decoratedAuto.close();
        datasourceProxy.close();
        source.close();
        canceller.close();
        cancelOnly.close();
        auto.close();
    }

    @Benchmark
    public int raw() throws SQLException {
        return selectOne(raw);
    }

    @Benchmark
    public int decorated_noToken() throws SQLException {
        return selectOne(decorated);
    }

    @Benchmark
    public int decorated_token() throws SQLException {
        try (Cancellation.Scope ignored = Cancellation.enter(token)) {
            return selectOne(decorated);
        }
    }

    /** The same with {@code cancellation.jdbc.query-timeout=auto}, the default: no query timeout on H2. */
    @Benchmark
    public int decorated_token_auto() throws SQLException {
        try (Cancellation.Scope ignored = Cancellation.enter(token)) {
            return selectOne(decoratedAuto);
        }
    }

    /** The same without query timeouts ({@code cancellation.jdbc.query-timeout=false}). */
    @Benchmark
    public int decorated_token_noQueryTimeout() throws SQLException {
        try (Cancellation.Scope ignored = Cancellation.enter(token)) {
            return selectOne(decoratedCancelOnly);
        }
    }

    @Benchmark
    public int datasourceProxy_noopListener() throws SQLException {
        return selectOne(datasourceProxy);
    }

    private int selectOne(Connection connection) throws SQLException {
        return SelectOne.run(connection, "select ?", ++parameter);
    }
}
