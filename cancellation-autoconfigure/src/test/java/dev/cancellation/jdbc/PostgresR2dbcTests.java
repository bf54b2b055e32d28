package dev.cancellation.jdbc;

import static dev.cancellation.jdbc.JdbcTestSupport.STOPPED_WITHIN;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

/**
 * R2DBC (r2dbc-postgresql) on a real PostgreSQL server. A timed-out {@code @Cancellable} {@code Mono} fails at its
 * budget and disposes its subscription, but the driver sends no cancel request: the query runs on in the server
 * unless the application sends one ({@code PostgresqlConnection.cancelRequest()} on cancel).
 */
class PostgresR2dbcTests {

    /**
     * Records the driver's behaviour, so a change shows up here: disposing the subscription does not send a
     * cancel request, the query runs on in the server.
     */
    @Test
    void aTimedOutCancellableMonoAloneLeavesTheQueryRunningOnTheServer() {
        JdbcTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Mono<Integer> query = context.getBean(ReactiveQueries.class).sleep(5, "r2dbc-plain-marker");
            assertThatThrownBy(() -> query.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> !EmbeddedPostgres.activeQueries("r2dbc-plain-marker").isEmpty());
        });
    }

    @Test
    void aTimedOutCancellableMonoWithCancelRequestOnCancelStopsTheQueryOnTheServer() {
        JdbcTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Mono<Integer> query = context.getBean(ReactiveQueries.class).sleepCancellingOnServer(20);
            assertThatThrownBy(() -> query.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-cancel-marker").isEmpty());
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {

        @Bean
        ConnectionFactory connectionFactory() {
            return new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder().host("127.0.0.1")
                    .port(EmbeddedPostgres.server().getPort()).username("postgres").database("postgres").build());
        }

        @Bean
        ReactiveQueries reactiveQueries(ConnectionFactory connections) {
            return new ReactiveQueries(connections);
        }
    }

    static class ReactiveQueries {

        private final ConnectionFactory connections;

        ReactiveQueries(ConnectionFactory connections) {
            this.connections = connections;
        }

        @Cancellable(timeout = "1s")
        public Mono<Integer> sleep(int seconds, String marker) {
            return Mono.usingWhen(connections.create(), connection -> query(connection, seconds, marker),
                    Connection::close);
        }

        /** The workaround: send PostgreSQL's cancel request when the subscription is cancelled. */
        @Cancellable(timeout = "1s")
        public Mono<Integer> sleepCancellingOnServer(int seconds) {
            return Mono.usingWhen(connections.create(), connection -> query(connection, seconds,
                    "r2dbc-cancel-marker").doOnCancel(() ->
                            ((PostgresqlConnection) connection).cancelRequest().subscribe()),
                    Connection::close);
        }

        private static Mono<Integer> query(Connection connection, int seconds, String marker) {
            return Mono.from(connection.createStatement(
                    "select 1 from pg_sleep(" + seconds + ") where '" + marker + "' <> ''").execute())
                    .flatMap(result -> Mono.from(result.map((row, meta) -> 1)));
        }
    }
}
