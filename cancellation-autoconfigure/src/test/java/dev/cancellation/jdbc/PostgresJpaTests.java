package dev.cancellation.jdbc;

import static dev.cancellation.jdbc.JdbcTestSupport.STOPPED_WITHIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Id;
import jakarta.persistence.PersistenceContext;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.jpa.autoconfigure.DataJpaRepositoriesAutoConfiguration;
import org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration;
import org.springframework.boot.persistence.autoconfigure.EntityScan;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.jpa.repository.config.EnableJpaRepositories;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

/**
 * JPA (Hibernate) and Spring Data JPA on a real PostgreSQL server: a timed-out {@code @Cancellable}
 * {@code @Transactional} method stops its query on the server, its flushed insert is rolled back, and the caller
 * gets {@link TaskTimeoutException} with the driver's exception as cause.
 */
class PostgresJpaTests {

    private final ApplicationContextRunner runner = JdbcTestSupport.postgres()
            .withConfiguration(AutoConfigurations.of(HibernateJpaAutoConfiguration.class,
                    DataJpaRepositoriesAutoConfiguration.class))
            .withPropertyValues("spring.jpa.hibernate.ddl-auto=create-drop")
            .withUserConfiguration(Config.class);

    @Test
    void aTimedOutEntityManagerQueryIsCancelledOnTheServerAndTheTransactionRollsBack() {
        runner.run(context -> {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            int pid = jdbc.queryForObject("select pg_backend_pid()", Integer.class);
            assertThatThrownBy(() -> context.getBean(Orders.class).persistThenSleep(1, 20))
                    .isInstanceOf(TaskTimeoutException.class)
                    .hasMessageContaining("Orders.persistThenSleep")
                    .hasCauseInstanceOf(PSQLException.class)
                    .satisfies(ex -> assertThat(((SQLException) ex.getCause()).getSQLState()).isEqualTo("57014"));
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("jpa-marker").isEmpty());
            assertThat(jdbc.queryForObject("select count(*) from purchase_order", Integer.class)).isZero();
            assertThat(jdbc.queryForObject("select pg_backend_pid()", Integer.class)).isEqualTo(pid);
        });
    }

    @Test
    void aTimedOutRepositoryQueryIsCancelledOnTheServer() {
        runner.run(context -> {
            assertThatThrownBy(() -> context.getBean(Orders.class).sleepInRepository(20))
                    .isInstanceOf(TaskTimeoutException.class)
                    .hasCauseInstanceOf(PSQLException.class);
            await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("repository-marker").isEmpty());
            assertThat(context.getBean(OrderRepository.class).count()).isZero();
        });
    }

    @Entity(name = "PurchaseOrder")
    static class PurchaseOrder {

        @Id
        Integer id;

        PurchaseOrder() {
        }

        PurchaseOrder(int id) {
            this.id = id;
        }
    }

    interface OrderRepository extends JpaRepository<PurchaseOrder, Integer> {

        @Query(value = "select 1 from pg_sleep(:seconds) where 'repository-marker' <> ''", nativeQuery = true)
        Integer sleep(int seconds);
    }

    @Configuration(proxyBeanMethods = false)
    @EntityScan(basePackageClasses = PurchaseOrder.class)
    @EnableJpaRepositories(basePackageClasses = OrderRepository.class, considerNestedRepositories = true)
    static class Config {

        @Bean
        Orders orders(OrderRepository repository) {
            return new Orders(repository);
        }
    }

    static class Orders {

        @PersistenceContext
        EntityManager entityManager;

        private final OrderRepository repository;

        Orders(OrderRepository repository) {
            this.repository = repository;
        }

        @Cancellable(timeout = "1s")
        @Transactional
        public void persistThenSleep(int id, int seconds) {
            entityManager.persist(new PurchaseOrder(id));
            entityManager.flush();
            entityManager.createNativeQuery("select 1 from pg_sleep(:seconds) where 'jpa-marker' <> ''")
                    .setParameter("seconds", seconds).getSingleResult();
        }

        @Cancellable(timeout = "1s")
        public Integer sleepInRepository(int seconds) {
            return repository.sleep(seconds);
        }
    }
}
