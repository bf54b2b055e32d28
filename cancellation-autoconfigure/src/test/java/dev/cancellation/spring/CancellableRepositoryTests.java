package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.awaitTask;
import static dev.cancellation.jdbc.EmbeddedPostgres.activeQueries;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import jakarta.persistence.Entity;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.Advised;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.jdbc.autoconfigure.DataJdbcRepositoriesAutoConfiguration;
import org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FilterType;
import org.springframework.data.annotation.Id;
import org.springframework.data.jdbc.repository.config.EnableJdbcRepositories;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.data.relational.core.mapping.Table;
import org.springframework.data.repository.Repository;

/**
 * {@code @Cancellable} on the interface of Spring Data repositories (JPA and JDBC), on a real PostgreSQL server: the
 * context starts, the repository stays the proxy Spring Data made (the advice is added to it), a call that
 * outlives its timeout ends with {@link TaskTimeoutException} and its statement is cancelled on the server, and an
 * operator's cancel through the {@link TaskRegistry} stops it the same way. The task is named after the interface.
 */
class CancellableRepositoryTests {

    /** Far longer than any test waits: a statement that is not cancelled is still running when the test looks. */
    private static final int SLEEP_SECONDS = 30;

    private final ApplicationContextRunner jpa = InterfaceBeanTestSupport.postgres()
            .withConfiguration(AutoConfigurations.of(HibernateJpaAutoConfiguration.class))
            .withPropertyValues("spring.jpa.hibernate.ddl-auto=create-drop")
            .withUserConfiguration(JpaConfig.class);

    private final ApplicationContextRunner jdbc = InterfaceBeanTestSupport.postgres()
            .withConfiguration(AutoConfigurations.of(DataJdbcRepositoriesAutoConfiguration.class))
            .withUserConfiguration(JdbcConfig.class);

    // ------------------------------------------------------------------------------------------------- JPA

    @Entity(name = "Sleeper")
    static class Sleeper {

        @jakarta.persistence.Id
        Integer id;
    }

    interface SleeperRepository extends Repository<Sleeper, Integer> {

        @Cancellable(timeout = "1s")
        @org.springframework.data.jpa.repository.Query(
                value = "select 1 from pg_sleep(:seconds) where 'jpa-timeout-marker' <> ''", nativeQuery = true)
        Integer sleepWithTimeout(int seconds);

        @Cancellable(name = "jpa-sleep")
        @org.springframework.data.jpa.repository.Query(
                value = "select 1 from pg_sleep(:seconds) where 'jpa-cancel-marker' <> ''", nativeQuery = true)
        Integer sleepUntilCancelled(int seconds);

        @org.springframework.data.jpa.repository.Query(value = "select 7", nativeQuery = true)
        Integer notCancellable();
    }

    @Configuration(proxyBeanMethods = false)
    @EntityScan(basePackageClasses = Sleeper.class)
    @EnableJpaRepositories(basePackageClasses = SleeperRepository.class, considerNestedRepositories = true,
            includeFilters = @ComponentScan.Filter(type = FilterType.ASSIGNABLE_TYPE,
                    classes = SleeperRepository.class))
    static class JpaConfig {
    }

    @Test
    void jpaRepositoryStartsAndKeepsItsProxy() {
        jpa.run(context -> {
            assertThat(context).hasNotFailed();
            SleeperRepository repository = context.getBean(SleeperRepository.class);
            assertThat(repository).isInstanceOf(Advised.class);
            assertThat(((Advised) repository).getAdvisors()[0].getAdvice()).isInstanceOf(CancellableInterceptor.class);
            assertThat(repository.notCancellable()).isEqualTo(7);
            assertThat(context.getBean(TaskRegistry.class).size()).isZero();
        });
    }

    @Test
    void jpaRepositoryCallThatOutlivesItsTimeoutIsCancelledOnTheServer() {
        jpa.run(context -> timesOut(context, () -> context.getBean(SleeperRepository.class)
                .sleepWithTimeout(SLEEP_SECONDS), "SleeperRepository.sleepWithTimeout", "jpa-timeout-marker"));
    }

    @Test
    void jpaRepositoryCallIsCancelledByTheOperator() {
        jpa.run(context -> cancelledByOperator(context, () -> context.getBean(SleeperRepository.class)
                .sleepUntilCancelled(SLEEP_SECONDS), "jpa-sleep", "jpa-cancel-marker"));
    }

    // ------------------------------------------------------------------------------------------------ JDBC

    @Table("note")
    record Note(@Id Long id, String text) {
    }

    /** On the type: every method of the interface runs as a task with these settings. */
    @Cancellable(timeout = "1s")
    interface NoteRepository extends Repository<Note, Long> {

        @org.springframework.data.jdbc.repository.query.Query(
                "select 1 from pg_sleep(:seconds) where 'jdbc-timeout-marker' <> ''")
        Integer sleepWithTimeout(int seconds);

        @Cancellable(name = "jdbc-sleep", timeout = "none")
        @org.springframework.data.jdbc.repository.query.Query(
                "select 1 from pg_sleep(:seconds) where 'jdbc-cancel-marker' <> ''")
        Integer sleepUntilCancelled(int seconds);
    }

    @Configuration(proxyBeanMethods = false)
    @EnableJdbcRepositories(basePackageClasses = NoteRepository.class, considerNestedRepositories = true,
            includeFilters = @ComponentScan.Filter(type = FilterType.ASSIGNABLE_TYPE, classes = NoteRepository.class))
    static class JdbcConfig {
    }

    @Test
    void jdbcRepositoryCallThatOutlivesTheTimeoutOfItsInterfaceIsCancelledOnTheServer() {
        jdbc.run(context -> timesOut(context, () -> context.getBean(NoteRepository.class)
                .sleepWithTimeout(SLEEP_SECONDS), "NoteRepository.sleepWithTimeout", "jdbc-timeout-marker"));
    }

    @Test
    void jdbcRepositoryCallIsCancelledByTheOperator() {
        jdbc.run(context -> cancelledByOperator(context, () -> context.getBean(NoteRepository.class)
                .sleepUntilCancelled(SLEEP_SECONDS), "jdbc-sleep", "jdbc-cancel-marker"));
    }

    // --------------------------------------------------------------------------------------------- helpers

    private static void timesOut(AssertableApplicationContext context, Supplier<Integer> call, String taskName,
            String marker) {
        assertThat(context).hasNotFailed();
        long started = System.nanoTime();
        assertThatThrownBy(call::get).isInstanceOf(TaskTimeoutException.class).hasMessageContaining(taskName);
        // pg_sleep returned early: the statement was cancelled on the server, not waited out
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(SLEEP_SECONDS / 3));
        await().atMost(PROMPTLY).until(() -> activeQueries(marker).isEmpty());
        assertThat(context.getBean(TaskRegistry.class).size()).isZero();
    }

    private static void cancelledByOperator(AssertableApplicationContext context, Supplier<Integer> call,
            String taskName, String marker) throws Exception {
        assertThat(context).hasNotFailed();
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        CompletableFuture<Integer> result = CompletableFuture.supplyAsync(call);
        TaskInfo task = awaitTask(registry, taskName, TaskState.RUNNING);
        await().atMost(PROMPTLY).until(() -> !activeQueries(marker).isEmpty());

        registry.cancel(task.id(), CancellationReason.requested("test", "operator"));

        assertThatThrownBy(() -> result.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                .hasCauseInstanceOf(TaskCancelledException.class);
        await().atMost(PROMPTLY).until(() -> activeQueries(marker).isEmpty());
    }
}
