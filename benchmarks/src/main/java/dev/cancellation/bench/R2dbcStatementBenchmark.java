package dev.cancellation.bench;

import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.r2dbc.R2dbcStatementCanceller;
import io.r2dbc.proxy.ProxyConnectionFactory;
import io.r2dbc.proxy.listener.ProxyExecutionListener;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * R2DBC row: the cost of one statement as {@code DatabaseClient} and Spring Data R2DBC run one (create, bind a
 * parameter, execute, map the row, wait for the end), on one connection of each kind, all in one run:
 * <ul>
 *   <li>{@code raw}: the driver's undecorated connection (the baseline);</li>
 *   <li>{@code decorated_noToken}: the connection wrapped by {@link R2dbcStatementCanceller}, no token in the
 *       Reactor context: what every statement outside cancellable code pays;</li>
 *   <li>{@code decorated_token}: the same with a live token (with a deadline) in the Reactor context, where
 *       {@code @Cancellable} methods and the web edge put it: the guarded results and rows, each registered on the
 *       token while subscribed (the {@code contextWrite} is included);</li>
 *   <li>{@code r2dbcProxy_noopListener}: {@code io.r2dbc:r2dbc-proxy} with a no-op listener, the library
 *       alternative to the hand-written proxies, doing nothing at all.</li>
 * </ul>
 * On two databases ({@code database} parameter), because each answers a different question: {@code h2}, r2dbc-h2
 * in memory, where the driver's own work is a few microseconds, so that the decoration's cost shows; and
 * {@code postgresql}, r2dbc-postgresql on Zonky's embedded PostgreSQL on loopback (the driver whose cancel request
 * the edge sends, with a bound parameter, so on the extended query protocol that Spring Data R2DBC's queries use),
 * where the decoration is set against a real round trip.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class R2dbcStatementBenchmark {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Param({"h2", "postgresql"})
    public String database;

    private final R2dbcStatementCanceller canceller = new R2dbcStatementCanceller();
    /** The server of the {@code postgresql} rows, {@code null} for {@code h2}. */
    private EmbeddedPostgres postgres;
    private Connection raw;
    private Connection decorated;
    private Connection proxied;
    private CancellationSource source;
    private Context tokenContext;
    private String sql;
    private int parameter;

    @Setup
    public void setUp() throws IOException {
        ConnectionFactory factory;
        if (database.equals("postgresql")) {
            postgres = EmbeddedPostgres.builder().start();
            factory = ConnectionFactories.get("r2dbc:postgresql://postgres@127.0.0.1:" + postgres.getPort()
                    + "/postgres");
            sql = "select $1::int";
        } else {
            factory = ConnectionFactories.get("r2dbc:h2:mem:///r2dbc-bench?options=DB_CLOSE_DELAY=-1");
            sql = "select cast($1 as int)";
        }
        raw = Mono.from(factory.create()).block(WAIT);
        decorated = canceller.wrap(Mono.from(factory.create()).block(WAIT), "benchmark");
        ConnectionFactory proxy = ProxyConnectionFactory.builder(factory)
                .listener(new ProxyExecutionListener() { }).build();
        proxied = Mono.from(proxy.create()).block(WAIT);
        source = CancellationSource.withTimeout(Duration.ofHours(1));
        CancellationToken token = source.token();
        tokenContext = Context.of(R2dbcStatementCanceller.TOKEN_KEY, token);
    }

    @TearDown
    public void tearDown() throws IOException {
        Mono.from(raw.close()).block(WAIT);
        Mono.from(decorated.close()).block(WAIT);
        Mono.from(proxied.close()).block(WAIT);
        source.close();
        if (postgres != null) {
            postgres.close();
        }
    }

    @Benchmark
    public Integer raw() {
        return selectOne(raw).block(WAIT);
    }

    @Benchmark
    public Integer decorated_noToken() {
        return selectOne(decorated).block(WAIT);
    }

    @Benchmark
    public Integer decorated_token() {
        return selectOne(decorated).contextWrite(tokenContext).block(WAIT);
    }

    @Benchmark
    public Integer r2dbcProxy_noopListener() {
        return selectOne(proxied).block(WAIT);
    }

    private Mono<Integer> selectOne(Connection connection) {
        return Flux.from(connection.createStatement(sql).bind(0, ++parameter).execute())
                .concatMap(result -> result.map((row, metadata) -> row.get(0, Integer.class)))
                .last();
    }
}
