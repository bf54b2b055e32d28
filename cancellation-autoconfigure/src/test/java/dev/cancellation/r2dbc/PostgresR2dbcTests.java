package dev.cancellation.r2dbc;

import static dev.cancellation.r2dbc.R2dbcTestSupport.STOPPED_WITHIN;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.jdbc.EmbeddedPostgres;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.annotation.Transactional;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * R2DBC (r2dbc-postgresql through Boot's pool and Spring's {@code DatabaseClient}) on a real PostgreSQL server:
 * statements follow the token of the Reactor context.
 */
class PostgresR2dbcTests {

    @Test
    void aTimedOutCancellableMonoStopsTheQueryOnTheServer() {
        R2dbcTestSupport.postgres(2).withUserConfiguration(Config.class).run(context -> {
            Mono<Integer> query = context.getBean(Queries.class).sleep(20, "r2dbc-timeout-marker");
            assertThatThrownBy(() -> query.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-timeout-marker").isEmpty());
            assertThat(context.getBean(CancellableConnectionFactoryPostProcessor.class).canceller()
                    .cancelledStatements()).isOne();
        });
    }

    /**
     * The driver's own behaviour, which the edge makes up for: disposing the subscription sends no cancel request,
     * the query runs on in the server.
     */
    @Test
    void withTheEdgeOffATimedOutCancellableMonoLeavesTheQueryRunningOnTheServer() {
        R2dbcTestSupport.postgres(2).withPropertyValues("cancellation.r2dbc.enabled=false")
                .withUserConfiguration(Config.class).run(context -> {
                    Mono<Integer> query = context.getBean(Queries.class).sleep(5, "r2dbc-plain-marker");
                    assertThatThrownBy(() -> query.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
                    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                            .until(() -> !EmbeddedPostgres.activeQueries("r2dbc-plain-marker").isEmpty());
                });
    }

    @Test
    void aTokenCancelledWhileTheQueryRunsFailsItWithTheReasonAndStopsItOnTheServer() {
        R2dbcTestSupport.postgres(2).withUserConfiguration(Config.class).run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            CancellationSource source = CancellationSource.create();
            Mono<Integer> query = sleep(client, 20, "r2dbc-token-marker")
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()));
            CompletableFuture<Throwable> failure = R2dbcTestSupport.failureOf(query);
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-token-marker").isEmpty());
            source.cancel(CancellationReason.requested("test"));
            assertThat(failure).succeedsWithin(PROMPTLY).isInstanceOf(TaskCancelledException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-token-marker").isEmpty());
        });
    }

    /**
     * A statement with bound parameters runs on PostgreSQL's extended query protocol, where r2dbc-postgresql emits
     * the result and completes its results publisher before the query is even sent: the query runs while the
     * result's rows are read, and that is where the cancel must stop it (as for Spring Data R2DBC's queries).
     */
    @Test
    void aTokenCancelledWhileAQueryWithBoundParametersRunsStopsItOnTheServer() {
        R2dbcTestSupport.postgres(2).withUserConfiguration(Config.class).run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            CancellationSource source = CancellationSource.create();
            Mono<Integer> query = client.sql("select 1 as one from pg_sleep(:seconds) where 'r2dbc-bound-marker' <> ''")
                    .bind("seconds", 20).map(row -> row.get(0, Integer.class)).one()
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()));
            CompletableFuture<Throwable> failure = R2dbcTestSupport.failureOf(query);
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-bound-marker").isEmpty());
            source.cancel(CancellationReason.requested("test"));
            assertThat(failure).succeedsWithin(PROMPTLY).isInstanceOf(TaskCancelledException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-bound-marker").isEmpty());
            assertThat(context.getBean(CancellableConnectionFactoryPostProcessor.class).canceller()
                    .cancelledStatements()).isOne();
        });
    }

    @Test
    void aDisposedSubscriptionUnderALiveTokenStopsTheQueryOnTheServer() {
        R2dbcTestSupport.postgres(2).withUserConfiguration(Config.class).run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            CancellationSource source = CancellationSource.create();
            Disposable subscription = sleep(client, 20, "r2dbc-dispose-marker")
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token())).subscribe();
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-dispose-marker").isEmpty());
            subscription.dispose();
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-dispose-marker").isEmpty());
            assertThat(source.token().isCancelled()).isFalse();
        });
    }

    @Test
    void aStatementUnderACancelledTokenIsRefusedAndNeverReachesTheServer() {
        R2dbcTestSupport.postgres(1).withUserConfiguration(Config.class).run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            client.sql("create table if not exists refused_r2dbc (id int)").then().block(PROMPTLY);
            client.sql("delete from refused_r2dbc").then().block(PROMPTLY);
            CancellationSource source = CancellationSource.create();
            source.cancel(CancellationReason.requested("test"));
            Mono<Long> insert = client.sql("insert into refused_r2dbc values (1)").fetch().rowsUpdated()
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()));
            assertThatThrownBy(() -> insert.block(PROMPTLY)).isInstanceOf(TaskCancelledException.class)
                    .hasMessageContaining("refused");
            assertThat(client.sql("select count(*) from refused_r2dbc").map(row -> row.get(0, Long.class)).one()
                    .block(PROMPTLY)).isZero();
        });
    }

    @Test
    void statementsWithoutATokenAndUnderALiveOneAnswerAsUsual() {
        R2dbcTestSupport.postgres(1).withUserConfiguration(Config.class).run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            assertThat(client.sql("select 41 + 1").map(row -> row.get(0, Integer.class)).one().block(PROMPTLY))
                    .isEqualTo(42);
            CancellationSource source = CancellationSource.create();
            assertThat(client.sql("select generate_series(1, 3)").map(row -> row.get(0, Integer.class)).all()
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()))
                    .collectList().block(PROMPTLY)).containsExactly(1, 2, 3);
            // a subscriber that takes the first row of a bound (extended protocol) query sends no cancel request
            assertThat(client.sql("select generate_series(1, :rows)").bind("rows", 10_000)
                    .map(row -> row.get(0, Integer.class)).first()
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token())).block(PROMPTLY))
                    .isOne();
            assertThat(client.sql("select 41 + 1").map(row -> row.get(0, Integer.class)).one().block(PROMPTLY))
                    .isEqualTo(42);
            assertThat(context.getBean(CancellableConnectionFactoryPostProcessor.class).canceller()
                    .cancelledStatements()).isZero();
        });
    }

    @Test
    void aTimedOutTransactionalMethodIsRolledBackAndItsQueryStoppedOnTheServer() {
        R2dbcTestSupport.postgres(2).withUserConfiguration(Config.class).run(context -> {
            DatabaseClient client = context.getBean(DatabaseClient.class);
            client.sql("create table if not exists rolled_back_r2dbc (id int)").then().block(PROMPTLY);
            client.sql("delete from rolled_back_r2dbc").then().block(PROMPTLY);
            Mono<Integer> work = context.getBean(Queries.class).insertThenSleep(20, "r2dbc-tx-marker");
            assertThatThrownBy(() -> work.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-tx-marker").isEmpty());
            await().atMost(PROMPTLY).untilAsserted(() -> assertThat(client.sql("select count(*) from rolled_back_r2dbc")
                    .map(row -> row.get(0, Long.class)).one().block(PROMPTLY)).isZero());
            assertThat(context.getBean(CancellableConnectionFactoryPostProcessor.class).canceller()
                    .cancelledStatements()).isOne();
        });
    }

    static Mono<Integer> sleep(DatabaseClient client, int seconds, String marker) {
        return client.sql("select 1 as one from pg_sleep(" + seconds + ") where '" + marker + "' <> ''")
                .map(row -> row.get(0, Integer.class)).one();
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {

        @Bean
        Queries queries(DatabaseClient client) {
            return new Queries(client);
        }
    }

    static class Queries {

        private final DatabaseClient client;

        Queries(DatabaseClient client) {
            this.client = client;
        }

        @Cancellable(timeout = "1s")
        public Mono<Integer> sleep(int seconds, String marker) {
            return PostgresR2dbcTests.sleep(client, seconds, marker);
        }

        @Transactional
        @Cancellable(timeout = "1s")
        public Mono<Integer> insertThenSleep(int seconds, String marker) {
            return client.sql("insert into rolled_back_r2dbc values (1)").then()
                    .then(PostgresR2dbcTests.sleep(client, seconds, marker));
        }
    }
}
