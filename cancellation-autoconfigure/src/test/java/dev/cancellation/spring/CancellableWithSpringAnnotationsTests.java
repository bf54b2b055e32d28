package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableReturnTypeTests.find;
import static dev.cancellation.spring.CancellableTestSupport.awaitEmpty;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.framework.Advised;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.Ordered;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;
import org.springframework.resilience.annotation.ConcurrencyLimit;
import org.springframework.resilience.annotation.EnableResilientMethods;
import org.springframework.resilience.annotation.Retryable;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

/**
 * {@code @Cancellable} with Spring's own annotations, for real: {@code @Retryable} and {@code @ConcurrencyLimit}
 * ({@code @EnableResilientMethods}), {@code @Transactional} on an embedded H2 database, {@code @Async}; the
 * advice order follows the post-processor order.
 */
class CancellableWithSpringAnnotationsTests {

    // ------------------------------------------------------------------------------------------ @Retryable

    private final ApplicationContextRunner retrying = CancellableTestSupport.runner()
            .withUserConfiguration(ResilientConfig.class).withBean(Flaky.class)
            .withPropertyValues("cancellation.interrupt=false"); // no interrupt escalation: the retry must end by itself

    @Test
    void anOperatorCancelEndsTheRetryLoopAtOnceAndTheTaskKeepsItsIdAcrossAttempts() {
        retrying.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Flaky flaky = context.getBean(Flaky.class);
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            AtomicBoolean interruptedAfter = new AtomicBoolean(true);
            Thread caller = new Thread(() -> {
                try {
                    flaky.downForLong(null);
                    outcome.complete(null);
                } catch (Throwable ex) {
                    outcome.complete(ex);
                } finally {
                    interruptedAfter.set(Thread.interrupted());
                }
            });
            caller.start();
            await().atMost(PROMPTLY).until(() -> Flaky.attempts.size() == 1); // now in the 5 s back-off

            registry.cancelAll("down-for-long", CancellationReason.requested("operator"));

            Throwable failure = outcome.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(find(failure, TaskCancelledException.class).reason().origin()).isEqualTo("operator");
            assertThat(Flaky.attempts).as("no attempt after the cancel").hasSize(1);
            caller.join(PROMPTLY.toMillis());
            assertThat(interruptedAfter).as("the calling thread is not left interrupted").isFalse();
            awaitEmpty(registry);
            assertThat(registry.history()).singleElement().extracting(TaskInfo::state).isEqualTo(TaskState.CANCELLED);
        });
    }

    @Test
    void theTimeoutCoversAllAttemptsOneTaskOneDeadlineAndEndsThemAtOnce() {
        retrying.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Flaky flaky = context.getBean(Flaky.class);
            assertThat(labels(flaky)).containsExactly("cancellable", "retry", "attach");

            Throwable failure = catchFailure(() -> flaky.downWithinBudget(null));

            assertThat(find(failure, TaskTimeoutException.class).getMessage()).contains("down-within-budget");
            assertThat(Flaky.attempts).as("attempts before the 300 ms deadline").hasSizeBetween(1, 5);
            assertThat(Flaky.attempts.stream().distinct()).as("one task for all attempts").hasSize(1);
            assertThat(Flaky.attemptsAfterCancel).as("attempts started after the timeout").hasValue(0);
            awaitEmpty(registry);
            assertThat(registry.history()).singleElement().satisfies(info -> {
                assertThat(info.name()).isEqualTo("down-within-budget");
                assertThat(info.reason().isTimeout()).isTrue();
            });
        });
    }

    private static Throwable catchFailure(Runnable call) {
        try {
            call.run();
        } catch (Throwable ex) {
            return ex;
        }
        throw new AssertionError("expected the call to fail");
    }

    @Configuration(proxyBeanMethods = false)
    @EnableResilientMethods
    @EnableAsync
    static class ResilientConfig {
    }

    static class Flaky {
        static final Queue<String> attempts = new ConcurrentLinkedQueue<>();
        static final AtomicInteger attemptsAfterCancel = new AtomicInteger();
        private static volatile TaskRegistry registry;

        @org.springframework.beans.factory.annotation.Autowired
        void setRegistry(TaskRegistry registry) {
            Flaky.registry = registry;
            attempts.clear();
            attemptsAfterCancel.set(0);
        }

        private void attempt(CancellationToken token) {
            if (token.isCancelled()) {
                attemptsAfterCancel.incrementAndGet();
            }
            attempts.add(registry.handleFor(token).map(TaskHandle::id).orElse("no task"));
            throw new IllegalStateException("service down");
        }

        @Cancellable(name = "down-for-long")
        @Retryable(maxRetries = 3, delay = 5000)
        public String downForLong(CancellationToken token) {
            attempt(token);
            return "never";
        }

        @Cancellable(name = "down-within-budget", timeout = "300ms")
        @Retryable(maxRetries = 10, delay = 100)
        public String downWithinBudget(CancellationToken token) {
            attempt(token);
            return "never";
        }
    }

    // ------------------------------------------------------------------------------------------ @Transactional

    @Test
    void aCancelledTasksTransactionIsRolledBackInsideTheTask() {
        CancellableTestSupport.runner().withUserConfiguration(TxConfig.class).run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Orders orders = context.getBean(Orders.class);
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            assertThat(labels(orders)).containsExactly("cancellable", "tx", "attach");

            orders.insert(1, null); // a control: not cancelled, committed
            CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(
                    () -> catchFailure(() -> orders.insert(2, new CountDownLatch(1))));
            await().atMost(PROMPTLY).until(() -> Orders.inserted.get() == 2);
            registry.cancelAll("insert-order", CancellationReason.requested("operator"));

            assertThat(find(outcome.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS), TaskCancelledException.class))
                    .isNotNull();
            assertThat(jdbc.queryForList("select id from orders", Integer.class)).containsExactly(1);
            awaitEmpty(registry);
        });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement
    static class TxConfig {
        @Bean
        DataSource dataSource() {
            return new EmbeddedDatabaseBuilder().setType(EmbeddedDatabaseType.H2).generateUniqueName(true)
                    .addScript("classpath:dev/cancellation/spring/orders.sql").build();
        }

        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }

        @Bean
        JdbcTemplate jdbcTemplate(DataSource dataSource) {
            return new JdbcTemplate(dataSource);
        }

        @Bean
        Orders orders(JdbcTemplate jdbc) {
            return new Orders(jdbc);
        }
    }

    static class Orders {
        static final AtomicInteger inserted = new AtomicInteger();
        private final JdbcTemplate jdbc;

        Orders(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        /** Inserts, then (with a latch) waits for the cancel and stops at the checkpoint. */
        @Cancellable(name = "insert-order")
        @Transactional
        public void insert(int id, CountDownLatch waitForCancel) {
            jdbc.update("insert into orders(id) values (?)", id);
            inserted.set(id);
            if (waitForCancel != null) {
                CancellationToken token = CancellationToken.current();
                token.whenCancelled().toCompletableFuture().join();
                token.throwIfCancelled();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ order

    @Test
    void byDefaultTheTaskIsOutsideAsyncAndConcurrencyLimitAndRegisteredAtSubmission() {
        CancellableTestSupport.runner().withUserConfiguration(ResilientConfig.class).withBean(Limited.class)
                .withPropertyValues("spring.task.execution.pool.core-size=4").run(context -> {
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    Limited limited = context.getBean(Limited.class);
                    assertThat(labels(limited)).containsExactly("cancellable", "async", "concurrency", "attach");

                    CompletableFuture<String> first = limited.work();
                    await().atMost(PROMPTLY).until(() -> Limited.running.get() == 1);
                    CompletableFuture<String> second = limited.work(); // waits for the permit
                    assertThat(registry.list("limited", null)).as("both are tasks already").hasSize(2);

                    Limited.release.countDown();
                    assertThat(first).succeedsWithin(PROMPTLY);
                    assertThat(second).succeedsWithin(PROMPTLY);
                    awaitEmpty(registry);
                });
    }

    @Test
    void thePostProcessorOrderDecidesTheAdviceOrderWhateverTheRegistrationOrder() {
        String order = "cancellation.advisor-order=" + (Ordered.LOWEST_PRECEDENCE - 2);
        List<String> inside = List.of("async", "concurrency", "cancellable", "attach");
        // registered after the application's configuration (the auto-configuration)
        CancellableTestSupport.runner().withUserConfiguration(ResilientConfig.class).withBean(Limited.class)
                .withPropertyValues(order)
                .run(context -> assertThat(labels(context.getBean(Limited.class))).as("after")
                        .containsExactlyElementsOf(inside));
        // registered before it (the application's own post-processor bean)
        CancellableTestSupport.runner().withUserConfiguration(OwnPostProcessor.class, ResilientConfig.class)
                .withBean(Limited.class)
                .run(context -> assertThat(labels(context.getBean(Limited.class))).as("before")
                        .containsExactlyElementsOf(inside));
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnPostProcessor {
        @Bean
        @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
        static CancellableAnnotationBeanPostProcessor cancellableAnnotationBeanPostProcessor() {
            return new CancellableAnnotationBeanPostProcessor(CancellableDefaults.defaults(),
                    Ordered.LOWEST_PRECEDENCE - 2);
        }
    }

    static class Limited {
        static final AtomicInteger running = new AtomicInteger();
        static volatile CountDownLatch release = new CountDownLatch(1);

        Limited() {
            running.set(0);
            release = new CountDownLatch(1);
        }

        @Cancellable(name = "limited")
        @Async
        @ConcurrencyLimit(1)
        public CompletableFuture<String> work() throws InterruptedException {
            running.incrementAndGet();
            release.await(10, TimeUnit.SECONDS);
            return CompletableFuture.completedFuture("done");
        }
    }

    // ------------------------------------------------------------------------------------------ support

    static List<String> labels(Object proxy) {
        Advisor[] advisors = ((Advised) proxy).getAdvisors();
        return Arrays.stream(advisors).map(CancellableWithSpringAnnotationsTests::label).toList();
    }

    private static String label(Advisor advisor) {
        Object advice = advisor.getAdvice();
        if (advice instanceof CancellableInterceptor) {
            return "cancellable";
        }
        if (advice instanceof CancellableAttachInterceptor) {
            return "attach";
        }
        String name = advice.getClass().getName();
        if (name.contains("AsyncExecutionInterceptor")) {
            return "async";
        }
        if (name.contains("ConcurrencyLimit") || name.contains("ConcurrencyThrottle")) {
            return "concurrency";
        }
        if (name.contains("Retry")) {
            return "retry";
        }
        return name.contains("TransactionInterceptor") ? "tx" : name;
    }
}
