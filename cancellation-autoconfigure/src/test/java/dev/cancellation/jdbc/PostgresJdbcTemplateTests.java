package dev.cancellation.jdbc;

import static dev.cancellation.jdbc.JdbcTestSupport.STOPPED_WITHIN;
import static dev.cancellation.jdbc.JdbcTestSupport.awaitTask;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.springframework.boot.jdbc.DataSourceUnwrapper;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/**
 * {@code JdbcTemplate} on a real PostgreSQL server: the token reaches the server. Each test proves the query is
 * gone from {@code pg_stat_activity} and that the pool's single connection runs the next query.
 */
class PostgresJdbcTemplateTests {

    @Test
    void aTimeoutCancelsTheQueryOnTheServerAndTheCallerGetsTaskTimeoutException() {
        JdbcTestSupport.postgres().withUserConfiguration(Config.class).run(context -> {
            SlowQueries queries = context.getBean(SlowQueries.class);
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            int pid = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
            long start = System.nanoTime();
            assertThatThrownBy(() -> queries.sleepWithTimeout(20, "timeout-marker"))
                    .isInstanceOf(TaskTimeoutException.class)
                    .hasMessageContaining("SlowQueries.sleepWithTimeout")
                    .satisfies(ex -> assertThat(((TaskTimeoutException) ex).reason().isTimeout()).isTrue())
                    .hasCauseInstanceOf(PSQLException.class)
                    .satisfies(ex -> assertThat(((SQLException) ex.getCause()).getSQLState()).isEqualTo("57014"));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("timeout-marker").isEmpty());
            assertThat(jdbc.queryForObject("select pg_backend_pid()", Integer.class)).isEqualTo(pid);
            assertThat(context.getBean(CancellableDataSourcePostProcessor.class).canceller().openExecutions())
                    .isZero();
        });
    }

    @Test
    void aRequestedCancelStopsTheQueryOnTheServerWithinTheBound() {
        JdbcTestSupport.postgres().withUserConfiguration(Config.class).run(context -> {
            SlowQueries queries = context.getBean(SlowQueries.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Integer> call = CompletableFuture.supplyAsync(
                    () -> queries.sleepUntilCancelled(60, "requested-marker"));
            TaskInfo task = awaitTask(registry, "SlowQueries.sleepUntilCancelled", TaskState.RUNNING);
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("requested-marker").isEmpty());

            registry.cancel(task.id(), CancellationReason.requested("operator"));

            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("requested-marker").isEmpty());
            assertThatThrownBy(() -> call.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .cause()
                    .isExactlyInstanceOf(TaskCancelledException.class)
                    .satisfies(ex -> assertThat(((TaskCancelledException) ex).reason().origin()).isEqualTo("operator"))
                    .hasCauseInstanceOf(PSQLException.class);
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("select 1", Integer.class)).isEqualTo(1);
        });
    }

    @Test
    void aTransactionAroundTheCancelledQueryRollsBack() {
        JdbcTestSupport.postgres().withUserConfiguration(Config.class).run(context -> {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            jdbc.execute("create table if not exists orders (id int primary key)");
            jdbc.update("delete from orders");
            assertThatThrownBy(() -> context.getBean(SlowQueries.class).insertThenSleep(1, 20))
                    .isInstanceOf(TaskTimeoutException.class);
            assertThat(jdbc.queryForObject("select count(*) from orders", Integer.class)).isZero();
            HikariDataSource pool = DataSourceUnwrapper.unwrap(context.getBean(DataSource.class),
                    HikariDataSource.class);
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isZero();
            jdbc.update("insert into orders values (2)");
            assertThat(jdbc.queryForObject("select count(*) from orders", Integer.class)).isOne();
        });
    }

    @Test
    void aStatementAfterTheCancelIsRefusedWithoutReachingTheServer() throws Exception {
        JdbcTestSupport.postgres().withUserConfiguration(Config.class).run(context -> {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            int pid = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
            jdbc.execute("create table if not exists refused_rows (v text)");
            jdbc.update("delete from refused_rows");
            try (CancellationSource source = CancellationSource.create()) {
                source.cancel(CancellationReason.requested("test"));
                try (Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                    assertThatThrownBy(() -> jdbc.update("insert into refused_rows values ('refused-marker')"))
                            .isInstanceOf(TaskCancelledException.class)
                            .hasMessageContaining("SQL statement refused");
                }
            }
            assertThat(EmbeddedPostgres.lastQuery(pid)).doesNotContain("refused-marker");
            assertThat(jdbc.queryForObject("select count(*) from refused_rows", Integer.class)).isZero();
            assertThat(jdbc.queryForObject("select pg_backend_pid()", Integer.class)).isEqualTo(pid);
        });
    }

    @Test
    void aCancelBetweenStatementsLeavesTheConnectionUsableAndInThePool() {
        JdbcTestSupport.postgres().withUserConfiguration(Config.class).run(context -> {
            SlowQueries queries = context.getBean(SlowQueries.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            int pid = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
            jdbc.execute("create table if not exists between_rows (v text)");
            jdbc.update("delete from between_rows");
            CountDownLatch firstDone = new CountDownLatch(1);
            CountDownLatch cancelled = new CountDownLatch(1);
            CompletableFuture<Void> call = CompletableFuture.runAsync(
                    () -> queries.twoStatements(firstDone, cancelled));
            assertThat(firstDone.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            TaskInfo task = awaitTask(registry, "SlowQueries.twoStatements", TaskState.RUNNING);
            registry.cancel(task.id(), CancellationReason.requested("between"));
            cancelled.countDown();
            assertThatThrownBy(() -> call.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .cause().isInstanceOf(TaskCancelledException.class);
            // Hikari may validate the connection on borrow (an empty query), so the rows are the evidence
            assertThat(jdbc.queryForList("select v from between_rows", String.class)).containsExactly("first");
            assertThat(EmbeddedPostgres.lastQuery(pid)).doesNotContain("second");
            HikariDataSource pool = DataSourceUnwrapper.unwrap(context.getBean(DataSource.class),
                    HikariDataSource.class);
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isZero();
            assertThat(jdbc.queryForObject("select pg_backend_pid()", Integer.class)).isEqualTo(pid);
        });
    }

    @Test
    void aStatementWithoutCurrentTokenIsPassedThrough() {
        JdbcTestSupport.postgres().withUserConfiguration(Config.class).run(context -> {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            assertThat(jdbc.queryForObject("select 1 from pg_sleep(0.1)", Integer.class)).isEqualTo(1);
            assertThat(context.getBean(CancellableDataSourcePostProcessor.class).canceller().openExecutions())
                    .isZero();
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {

        @Bean
        SlowQueries slowQueries(JdbcTemplate jdbc) {
            return new SlowQueries(jdbc);
        }
    }

    static class SlowQueries {

        private final JdbcTemplate jdbc;

        SlowQueries(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        @Cancellable(timeout = "1s")
        public Integer sleepWithTimeout(int seconds, String marker) {
            return jdbc.queryForObject("select 1 from pg_sleep(?) where 'x' <> '" + marker + "'", Integer.class,
                    seconds);
        }

        @Cancellable
        public Integer sleepUntilCancelled(int seconds, String marker) {
            return jdbc.queryForObject("select 1 from pg_sleep(?) where 'x' <> '" + marker + "'", Integer.class,
                    seconds);
        }

        @Cancellable(timeout = "1s")
        @Transactional
        public void insertThenSleep(int id, int seconds) {
            jdbc.update("insert into orders values (?)", id);
            jdbc.queryForObject("select 1 from pg_sleep(?)", Integer.class, seconds);
        }

        @Cancellable
        public void twoStatements(CountDownLatch firstDone, CountDownLatch cancelled) {
            jdbc.update("insert into between_rows values ('first')");
            firstDone.countDown();
            try {
                cancelled.await(); // the cancel arrives here, between the statements
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            jdbc.update("insert into between_rows values ('second')");
        }
    }
}
