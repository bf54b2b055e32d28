package dev.cancellation.r2dbc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.jdbc.EmbeddedPostgres;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A cancel request still on its way when its statement has ended never reaches another statement: the next
 * operation on the connection (here the close that gives it back to the pool) waits for it, and past the wait the
 * connection is closed, so the pool hands out another. On a real PostgreSQL server, whose cancel request cancels
 * whatever the session runs when it arrives, through a pool of one connection.
 */
@ExtendWith(OutputCaptureExtension.class)
class PostgresR2dbcLateCancelTests {

    @Test
    void aCancelStillOnItsWayClosesTheConnectionAndNeverHitsTheNextStatement(CapturedOutput output) {
        R2dbcTestSupport.postgres(1).withPropertyValues("cancellation.r2dbc.cancel-wait=200ms").run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            R2dbcStatementCanceller canceller = context.getBean(CancellableConnectionFactoryPostProcessor.class)
                    .canceller();
            Sinks.Empty<Void> release = Sinks.empty();
            AtomicInteger held = new AtomicInteger();
            // a slow network: the cancel request leaves only when the test says so
            canceller.cancelRequestHook(request -> Mono.defer(() -> {
                held.incrementAndGet();
                return release.asMono().then(request);
            }));
            int firstPid = pid(client);
            try (CancellationSource source = CancellationSource.create()) {
                CompletableFuture<Throwable> first = R2dbcTestSupport.failureOf(
                        PostgresR2dbcTests.sleep(client, 1, "r2dbc-late-first")
                                .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token())));
                await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-late-first").isEmpty());
                source.cancel(CancellationReason.requested("test"));
                assertThat(first).succeedsWithin(PROMPTLY).isInstanceOf(TaskCancelledException.class);
            }
            await().atMost(PROMPTLY).until(() -> held.get() == 1);

            CompletableFuture<Integer> next = client
                    .sql("select pg_backend_pid() as pid from pg_sleep(2) where 'r2dbc-late-next' <> ''")
                    .map(row -> row.get(0, Integer.class)).one().toFuture();
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-late-next").isEmpty());
            release.tryEmitEmpty(); // the late cancel arrives while the next statement runs
            assertThat(next).succeedsWithin(PROMPTLY).isNotEqualTo(firstPid);
            assertThat(canceller.invalidatedConnections()).isOne();
            assertThat(output).contains("closed: a cancel request for its last statement was still on its way");
        });
    }

    @Test
    void aCancelThatLandsInTimeKeepsTheConnection() {
        R2dbcTestSupport.postgres(1).run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            R2dbcStatementCanceller canceller = context.getBean(CancellableConnectionFactoryPostProcessor.class)
                    .canceller();
            int firstPid = pid(client);
            try (CancellationSource source = CancellationSource.create()) {
                Mono<Integer> query = PostgresR2dbcTests.sleep(client, 20, "r2dbc-in-time")
                        .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()));
                CompletableFuture<Throwable> running = R2dbcTestSupport.failureOf(query);
                await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-in-time").isEmpty());
                source.cancel(CancellationReason.requested("test"));
                assertThat(running).succeedsWithin(PROMPTLY).isInstanceOf(TaskCancelledException.class);
            }
            await().atMost(R2dbcTestSupport.STOPPED_WITHIN)
                    .until(() -> EmbeddedPostgres.activeQueries("r2dbc-in-time").isEmpty());
            assertThat(pid(client)).isEqualTo(firstPid);
            assertThat(canceller.invalidatedConnections()).isZero();
            assertThat(canceller.cancelledStatements()).isOne();
        });
    }

    private static int pid(DatabaseClient client) {
        Integer pid = client.sql("select pg_backend_pid()").map(row -> row.get(0, Integer.class)).one()
                .block(PROMPTLY);
        assertThat(pid).isNotNull();
        return pid;
    }
}
