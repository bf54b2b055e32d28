package dev.cancellation.bench;

import dev.cancellation.batch.BatchTaskPostProcessor;
import dev.cancellation.batch.BatchTasks;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.ResourcelessJobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.item.ItemReader;
import org.springframework.batch.infrastructure.support.transaction.ResourcelessTransactionManager;

/**
 * Batch row: one in-memory job of small chunks ({@value #ITEMS} items in chunks of {@value #CHUNK}, a processor
 * and a no-op writer, Batch's resourceless job repository and transaction manager), run to completion:
 * <ul>
 *   <li>{@code plain}: the job as Spring Batch runs it without the starter (the baseline);</li>
 *   <li>{@code withStarter}: the same job equipped by {@link BatchTaskPostProcessor} as in an application: the
 *       job and step tasks, the step's token current, the item process listener of each item, the job
 *       repository's calls run with no token current.</li>
 * </ul>
 * The difference divided by the number of chunks is the starter's cost per chunk.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BatchChunkBenchmark {

    static final int ITEMS = 1_000;
    static final int CHUNK = 10;

    private TaskRegistry registry;
    private JobRepository plainRepository;
    private Job plainJob;
    private JobRepository equippedRepository;
    private Job equippedJob;
    private long run;

    @Setup(Level.Trial)
    public void setUp() {
        registry = new TaskRegistry();
        plainRepository = new ResourcelessJobRepository();
        plainJob = job(plainRepository);

        BatchTasks tasks = new BatchTasks(registry, null, Duration.ofSeconds(2), Duration.ofSeconds(5));
        BatchTaskPostProcessor processor = new BatchTaskPostProcessor(() -> tasks);
        equippedRepository = (JobRepository) processor.postProcessAfterInitialization(
                new ResourcelessJobRepository(), "jobRepository");
        Step step = step(equippedRepository);
        processor.postProcessAfterInitialization(step, "numbers");
        equippedJob = (Job) processor.postProcessAfterInitialization(
                new JobBuilder("numbersJob", equippedRepository).start(step).build(), "numbersJob");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        registry.close();
    }

    @Benchmark
    public BatchStatus plain() throws Exception {
        return execute(plainRepository, plainJob);
    }

    @Benchmark
    public BatchStatus withStarter() throws Exception {
        return execute(equippedRepository, equippedJob);
    }

    private BatchStatus execute(JobRepository repository, Job job) throws Exception {
        JobParameters parameters = new JobParametersBuilder().addLong("run", ++run).toJobParameters();
        JobInstance instance = repository.createJobInstance(job.getName(), parameters);
        JobExecution execution = repository.createJobExecution(instance, parameters, new ExecutionContext());
        job.execute(execution);
        if (execution.getStatus() != BatchStatus.COMPLETED) {
            throw new IllegalStateException("The job ended " + execution.getStatus() + ": "
                    + execution.getAllFailureExceptions());
        }
        return execution.getStatus();
    }

    private static Job job(JobRepository repository) {
        return new JobBuilder("numbersJob", repository).start(step(repository)).build();
    }

    private static Step step(JobRepository repository) {
        return new StepBuilder("numbers", repository).<Integer, Integer>chunk(CHUNK)
                .transactionManager(new ResourcelessTransactionManager())
                .reader(new Numbers())
                .processor(item -> item + 1)
                .writer(chunk -> {
                })
                .build();
    }

    /** 0..ITEMS-1, again from 0 at each step execution (the step opens it as a stream). */
    private static final class Numbers implements ItemReader<Integer>,
            org.springframework.batch.infrastructure.item.ItemStream {

        private int next;

        @Override
        public Integer read() {
            return (next < ITEMS) ? next++ : null;
        }

        @Override
        public void open(ExecutionContext executionContext) {
            next = 0;
        }
    }
}
