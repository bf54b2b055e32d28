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
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.r2dbc.autoconfigure.DataR2dbcAutoConfiguration;
import org.springframework.boot.data.r2dbc.autoconfigure.DataR2dbcRepositoriesAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan.Filter;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.FilterType;
import org.springframework.data.annotation.Id;
import org.springframework.data.r2dbc.repository.Query;
import org.springframework.data.r2dbc.repository.R2dbcRepository;
import org.springframework.data.r2dbc.repository.config.EnableR2dbcRepositories;
import org.springframework.data.relational.core.mapping.Table;
import org.springframework.data.repository.reactive.ReactiveCrudRepository;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.annotation.Transactional;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Spring Data R2DBC repositories (Boot's auto-configuration, r2dbc-postgresql through the pool) on a real
 * PostgreSQL server: a string {@code @Query} and a derived query follow the token of the Reactor context like a
 * {@code DatabaseClient} statement, refused once it is cancelled and stopped on the server on cancel and timeout.
 * Their queries have bound parameters, so they run on PostgreSQL's extended query protocol, where the driver's
 * results publisher completes before the query is sent: the cancel has to stop the reading of the result's rows.
 * The repositories' own read-only transactions and a {@code @Transactional} service around them roll back.
 */
class PostgresR2dbcRepositoryTests {

    @Test
    void aTimedOutCancellableServiceStopsTheRepositorysStringQueryOnTheServer() {
        repositories(2).run(context -> {
            Mono<Integer> query = context.getBean(Service.class).sleep(20);
            assertThatThrownBy(() -> query.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-repo-query").isEmpty());
            assertThat(canceller(context).cancelledStatements()).isOne();
        });
    }

    @Test
    void aTimedOutCancellableServiceStopsTheRepositorysDerivedQueryOnTheServer() {
        repositories(2).run(context -> {
            schema(context.getBean(DatabaseClient.class));
            Flux<SlowItem> query = context.getBean(Service.class).slowItems("slow");
            assertThatThrownBy(() -> query.collectList().block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().atMost(STOPPED_WITHIN)
                    .until(() -> EmbeddedPostgres.activeQueries("r2dbc_repo_slow_item").isEmpty());
            assertThat(canceller(context).cancelledStatements()).isOne();
        });
    }

    @Test
    void aCancellableRepositoryMethodStopsItsQueryOnTheServerAtItsTimeout() {
        repositories(2).run(context -> {
            Mono<Integer> query = context.getBean(SleepRepository.class).sleepAtMostOneSecond(20);
            assertThatThrownBy(() -> query.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-repo-bounded").isEmpty());
            assertThat(canceller(context).cancelledStatements()).isOne();
        });
    }

    @Test
    void aTokenCancelledWhileARepositoryQueryRunsFailsItWithTheReasonAndStopsItOnTheServer() {
        repositories(2).run(context -> {
            CancellationSource source = CancellationSource.create();
            Mono<Integer> query = context.getBean(SleepRepository.class).sleep(20)
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()));
            CompletableFuture<Throwable> failure = R2dbcTestSupport.failureOf(query);
            await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-repo-query").isEmpty());
            source.cancel(CancellationReason.requested("test"));
            assertThat(failure).succeedsWithin(PROMPTLY).isInstanceOf(TaskCancelledException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-repo-query").isEmpty());
            assertThat(canceller(context).cancelledStatements()).isOne();
        });
    }

    @Test
    void aRepositorySaveUnderACancelledTokenIsRefusedAndNeverReachesTheServer() {
        repositories(1).run(context -> {
            schema(context.getBean(DatabaseClient.class));
            ItemRepository items = context.getBean(ItemRepository.class);
            CancellationSource source = CancellationSource.create();
            source.cancel(CancellationReason.requested("test"));
            Mono<Item> save = items.save(new Item(null, "refused"))
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()));
            assertThatThrownBy(() -> save.block(PROMPTLY)).isInstanceOf(TaskCancelledException.class)
                    .hasMessageContaining("refused");
            assertThat(items.findByName("refused").collectList().block(PROMPTLY)).isEmpty();
        });
    }

    @Test
    void repositoryCallsUnderALiveTokenAnswerAsUsual() {
        repositories(1).run(context -> {
            schema(context.getBean(DatabaseClient.class));
            ItemRepository items = context.getBean(ItemRepository.class);
            CancellationSource source = CancellationSource.create();
            Item saved = items.save(new Item(null, "kept"))
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token())).block(PROMPTLY);
            assertThat(saved).isNotNull();
            assertThat(items.findByName("kept").map(Item::id)
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token()))
                    .collectList().block(PROMPTLY)).containsExactly(saved.id());
            assertThat(items.existsById(saved.id())
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token())).block(PROMPTLY))
                    .isTrue();
            assertThat(context.getBean(SleepRepository.class).sleep(0)
                    .contextWrite(c -> c.put(R2dbcStatementCanceller.TOKEN_KEY, source.token())).block(PROMPTLY))
                    .isOne();
            assertThat(canceller(context).cancelledStatements()).isZero();
        });
    }

    @Test
    void aTimedOutTransactionalServiceIsRolledBackAndItsRepositoryQueryStoppedOnTheServer() {
        repositories(2).run(context -> {
            schema(context.getBean(DatabaseClient.class));
            ItemRepository items = context.getBean(ItemRepository.class);
            Mono<Integer> work = context.getBean(Service.class).saveThenSleep("rolled-back", 20);
            assertThatThrownBy(() -> work.block(PROMPTLY)).isInstanceOf(TaskTimeoutException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-repo-query").isEmpty());
            await().atMost(PROMPTLY).untilAsserted(() -> assertThat(items.findByName("rolled-back").collectList()
                    .block(PROMPTLY)).isEmpty());
            assertThat(canceller(context).cancelledStatements()).isOne();
        });
    }

    private static ApplicationContextRunner repositories(int poolSize) {
        return R2dbcTestSupport.postgres(poolSize)
                .withConfiguration(AutoConfigurations.of(DataR2dbcAutoConfiguration.class,
                        DataR2dbcRepositoriesAutoConfiguration.class))
                .withUserConfiguration(Config.class);
    }

    private static R2dbcStatementCanceller canceller(ApplicationContext context) {
        return context.getBean(CancellableConnectionFactoryPostProcessor.class).canceller();
    }

    /** A table, and a view over it that sleeps 20 s before it answers: a derived query that runs long. */
    private static void schema(DatabaseClient client) {
        client.sql("create table if not exists r2dbc_repo_item (id bigserial primary key, name varchar(64))").then()
                .block(PROMPTLY);
        client.sql("create or replace view r2dbc_repo_slow_item as select i.id, i.name from r2dbc_repo_item i"
                + " cross join pg_sleep(20)").then().block(PROMPTLY);
        client.sql("delete from r2dbc_repo_item").then().block(PROMPTLY);
        client.sql("insert into r2dbc_repo_item (name) values ('slow')").then().block(PROMPTLY);
    }

    @Table("r2dbc_repo_item")
    record Item(@Id Long id, String name) {
    }

    @Table("r2dbc_repo_slow_item")
    record SlowItem(@Id Long id, String name) {
    }

    interface ItemRepository extends R2dbcRepository<Item, Long> {

        Flux<Item> findByName(String name);
    }

    interface SlowItemRepository extends ReactiveCrudRepository<SlowItem, Long> {

        Flux<SlowItem> findByName(String name);
    }

    interface SleepRepository extends ReactiveCrudRepository<Item, Long> {

        @Query("select 1 as one from pg_sleep(:seconds) where 'r2dbc-repo-query' <> ''")
        Mono<Integer> sleep(int seconds);

        @Cancellable(timeout = "1s")
        @Query("select 1 as one from pg_sleep(:seconds) where 'r2dbc-repo-bounded' <> ''")
        Mono<Integer> sleepAtMostOneSecond(int seconds);
    }

    @Configuration(proxyBeanMethods = false)
    @EnableR2dbcRepositories(considerNestedRepositories = true, basePackageClasses = PostgresR2dbcRepositoryTests.class,
            includeFilters = @Filter(type = FilterType.ASSIGNABLE_TYPE,
                    classes = {ItemRepository.class, SlowItemRepository.class, SleepRepository.class}))
    static class Config {

        @Bean
        Service service(ItemRepository items, SlowItemRepository slowItems, SleepRepository sleeps) {
            return new Service(items, slowItems, sleeps);
        }
    }

    static class Service {

        private final ItemRepository items;
        private final SlowItemRepository slowItems;
        private final SleepRepository sleeps;

        Service(ItemRepository items, SlowItemRepository slowItems, SleepRepository sleeps) {
            this.items = items;
            this.slowItems = slowItems;
            this.sleeps = sleeps;
        }

        @Cancellable(timeout = "1s")
        public Mono<Integer> sleep(int seconds) {
            return sleeps.sleep(seconds);
        }

        @Cancellable(timeout = "1s")
        public Flux<SlowItem> slowItems(String name) {
            return slowItems.findByName(name);
        }

        @Transactional
        @Cancellable(timeout = "1s")
        public Mono<Integer> saveThenSleep(String name, int seconds) {
            return items.save(new Item(null, name)).then(sleeps.sleep(seconds));
        }
    }
}
