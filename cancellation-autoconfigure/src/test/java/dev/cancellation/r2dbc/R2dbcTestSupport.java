package dev.cancellation.r2dbc;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationR2dbcAutoConfiguration;
import dev.cancellation.jdbc.EmbeddedPostgres;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import reactor.core.publisher.Mono;

/** The real auto-configurations of an R2DBC application with cancellation, on the embedded PostgreSQL server. */
final class R2dbcTestSupport {

    /** How soon after the cancel the query must be gone from the server. */
    static final Duration STOPPED_WITHIN = Duration.ofSeconds(2);

    private R2dbcTestSupport() {
    }

    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(R2dbcAutoConfiguration.class,
                        R2dbcTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
                        CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class,
                        CancellationR2dbcAutoConfiguration.class));
    }

    /** With Boot's pooled connection factory on the embedded server, at most {@code poolSize} connections. */
    static ApplicationContextRunner postgres(int poolSize) {
        return runner().withPropertyValues(properties(poolSize));
    }

    static String[] properties(int poolSize) {
        return new String[] {"spring.r2dbc.url=" + url(), "spring.r2dbc.username=postgres",
            "spring.r2dbc.password=", "spring.r2dbc.pool.initial-size=1",
            "spring.r2dbc.pool.max-size=" + poolSize};
    }

    /**
     * Subscribes to {@code query} and completes with the error it ends with (exceptionally if it ends without one).
     * Unlike {@code toFuture()}, the error is the query's own on every JDK: from Java 23, {@code get()} of a future
     * completed with a {@code CancellationException} (which {@code TaskCancelledException} is) throws a new one.
     */
    static CompletableFuture<Throwable> failureOf(Mono<?> query) {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        query.subscribe(value -> { }, failure::complete,
                () -> failure.completeExceptionally(new AssertionError("the query ended without an error")));
        return failure;
    }

    static String url() {
        return "r2dbc:postgresql://127.0.0.1:" + EmbeddedPostgres.server().getPort() + "/postgres";
    }
}
