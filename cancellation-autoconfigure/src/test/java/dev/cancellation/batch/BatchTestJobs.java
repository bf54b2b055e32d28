package dev.cancellation.batch;

import static dev.cancellation.testfixture.Waits.PROMPTLY;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.core.step.tasklet.StoppableTasklet;
import org.springframework.batch.infrastructure.item.support.AbstractItemCountingItemStreamItemReader;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The jobs of the batch tests: {@code numbersJob}, a chunk-oriented step that reads 1..{@value #ITEMS} (restartable:
 * the reader saves its count), lets the {@link Gate} hold one item, and inserts every item into {@code batch_target}
 * in the chunk's transaction; {@code waitJob}, a tasklet step that waits on a latch and ignores the token.
 */
@Configuration(proxyBeanMethods = false)
class BatchTestJobs {

    static final int ITEMS = 50;
    static final int CHUNK = 5;
    /** The item the gate holds: in the fifth chunk, after four have committed. */
    static final int HELD_ITEM = 23;

    @Bean
    Gate gate(TaskRegistry registry, DataSource dataSource) {
        return new Gate(registry, new JdbcTemplate(dataSource));
    }

    @Bean
    Step numbersStep(JobRepository jobRepository, PlatformTransactionManager transactionManager,
            DataSource dataSource, Gate gate) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        return new StepBuilder("numbers", jobRepository).<Integer, Integer>chunk(CHUNK)
                .transactionManager(transactionManager)
                .reader(new Numbers())
                .processor(gate::process)
                .writer(chunk -> {
                    gate.seen("writer");
                    for (Integer item : chunk) {
                        jdbc.update("insert into batch_target (item) values (?)", item);
                    }
                })
                .build();
    }

    @Bean
    Job numbersJob(JobRepository jobRepository, Step numbersStep) {
        return new JobBuilder("numbersJob", jobRepository).start(numbersStep).build();
    }

    @Bean
    Step parallelStep(JobRepository jobRepository, PlatformTransactionManager transactionManager, Gate gate) {
        SimpleAsyncTaskExecutor workers = new SimpleAsyncTaskExecutor("batch-worker-");
        return new StepBuilder("parallel", jobRepository).<Integer, Integer>chunk(CHUNK)
                .transactionManager(transactionManager)
                .reader(new Numbers())
                .processor(item -> {
                    gate.seenOnThread();
                    return item;
                })
                .writer(chunk -> {
                })
                .taskExecutor(workers)
                .build();
    }

    @Bean
    Job parallelJob(JobRepository jobRepository, Step parallelStep) {
        return new JobBuilder("parallelJob", jobRepository).start(parallelStep).build();
    }

    @Bean
    Step waitStep(JobRepository jobRepository, PlatformTransactionManager transactionManager, Gate gate) {
        return new StepBuilder("wait", jobRepository).tasklet((contribution, context) -> {
            gate.seen("tasklet");
            gate.reached.countDown();
            gate.release.await(); // ignores the token: only an interrupt ends this wait early
            return RepeatStatus.FINISHED;
        }, transactionManager).build();
    }

    @Bean
    Step stoppableStep(JobRepository jobRepository, PlatformTransactionManager transactionManager, Gate gate) {
        return new StepBuilder("stoppable", jobRepository).tasklet(new StoppableTasklet() {
            @Override
            public RepeatStatus execute(StepContribution contribution, ChunkContext context)
                    throws InterruptedException {
                gate.reached.countDown();
                gate.release.await(); // until stop() below: the token is not looked at
                return RepeatStatus.FINISHED;
            }

            @Override
            @SuppressWarnings("removal")
            public void stop() {
                gate.stopCalls.incrementAndGet();
                gate.release.countDown();
            }
        }, transactionManager).build();
    }

    @Bean
    Job stoppableJob(JobRepository jobRepository, Step stoppableStep) {
        return new JobBuilder("stoppableJob", jobRepository).start(stoppableStep).build();
    }

    @Bean
    Job waitJob(JobRepository jobRepository, Step waitStep) {
        return new JobBuilder("waitJob", jobRepository).start(waitStep).build();
    }

    /** What the held item does. */
    enum Hold {
        /** Nothing: no item is held. */
        NONE,
        /** Waits until the test releases it. */
        UNTIL_RELEASED,
        /** Sleeps cancellably: the cancel ends it with a TaskCancelledException, the chunk rolls back. */
        UNTIL_CANCELLED_THEN_THROW,
        /** Waits until the token is cancelled and goes on (the writer's insert is then refused). */
        UNTIL_CANCELLED_THEN_CONTINUE,
        /** Runs the gate's slow SQL statement under the step's token. */
        IN_SLOW_SQL
    }

    /** Holds one item as the test says, and records which task each part of the step ran under. */
    static final class Gate {

        private final TaskRegistry registry;
        private final JdbcTemplate jdbc;
        volatile Hold hold = Hold.NONE;
        volatile String slowSql = "select 1";
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        /** How often a StoppableTasklet was told to stop. */
        final AtomicInteger stopCalls = new AtomicInteger();
        /** The name of the task whose token was current, by part ("processor", "writer", "tasklet"). */
        final Map<String, String> taskNames = new ConcurrentHashMap<>();

        Gate(TaskRegistry registry, JdbcTemplate jdbc) {
            this.registry = registry;
            this.jdbc = jdbc;
        }

        Integer process(Integer item) throws InterruptedException {
            seen("processor");
            if (item != HELD_ITEM || hold == Hold.NONE) {
                return item;
            }
            Hold now = hold;
            hold = Hold.NONE; // once: a restart runs through
            reached.countDown();
            CancellationToken token = CancellationToken.current();
            switch (now) {
                case UNTIL_RELEASED -> release.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                case UNTIL_CANCELLED_THEN_THROW -> Cancellation.sleep(PROMPTLY);
                case UNTIL_CANCELLED_THEN_CONTINUE -> token.whenCancelled().toCompletableFuture()
                        .completeOnTimeout(null, PROMPTLY.toMillis(), TimeUnit.MILLISECONDS).join();
                case IN_SLOW_SQL -> jdbc.execute(slowSql);
                default -> throw new IllegalStateException(now.name());
            }
            return item;
        }

        /** The name of the task whose token was current, by thread: "none" where no task's token was. */
        final Map<String, String> taskNamesByThread = new ConcurrentHashMap<>();

        void seenOnThread() {
            taskNamesByThread.put(Thread.currentThread().getName(), registry.handleFor(CancellationToken.current())
                    .map(TaskHandle::name).orElse("none"));
        }

        void seen(String part) {
            registry.handleFor(CancellationToken.current()).map(TaskHandle::name)
                    .ifPresent(name -> taskNames.putIfAbsent(part, name));
        }
    }

    /** 1..ITEMS, restartable: the count read is saved at each commit and skipped to on restart. */
    static final class Numbers extends AbstractItemCountingItemStreamItemReader<Integer> {

        Numbers() {
            setName("numbers");
            setMaxItemCount(ITEMS);
        }

        @Override
        protected Integer doRead() {
            return getCurrentItemCount();
        }

        @Override
        protected void doOpen() {
            setCurrentItemCount(0);
        }

        @Override
        protected void doClose() {
        }
    }
}
