package dev.cancellation.demo.batch;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.stereotype.Service;

/**
 * Starts and restarts the nightly report in the background and answers with the new execution's id as soon as the
 * job repository has created it.
 *
 * <p>Boot's {@code JobOperator} runs a job on the caller's thread; the demo calls it from a thread of its own
 * ({@code batch-N}) rather than declaring a {@code @BatchTaskExecutor} bean, which as an {@code Executor} bean would
 * replace Boot's {@code applicationTaskExecutor} that runs the demo's {@code @Async} work. That thread carries no
 * token, so the job's task is a root task, not a child of the HTTP request that started it (which ends at once).
 * The job's listener {@link LaunchedIds} hands the new execution's id to the waiting request.
 *
 * <p>Thread-safety: stateless but for thread-safe collaborators (the job operator, {@link LaunchedIds}).
 */
@Service
class NightlyReportLauncher {

    private final JobOperator operator;
    private final Job job;
    private final SimpleAsyncTaskExecutor threads = new SimpleAsyncTaskExecutor("batch-");
    private final LaunchedIds launched;

    NightlyReportLauncher(JobOperator operator, Job nightlyReport, LaunchedIds launched) {
        this.operator = operator;
        this.job = nightlyReport;
        this.launched = launched;
    }

    /**
     * Starts a new report run over {@code items} stores.
     *
     * @param timeout the run's deadline (job parameter {@code cancellation.timeout}, non-identifying), or
     *     {@code null} for none
     * @return the id of the job execution
     */
    long start(int items, @Nullable String timeout) throws Exception {
        String run = "nr-" + UUID.randomUUID().toString().substring(0, 8);
        JobParametersBuilder parameters = new JobParametersBuilder()
                .addString(NightlyReportJob.RUN, run)
                .addLong(NightlyReportJob.ITEMS, (long) items);
        if (timeout != null) {
            parameters.addString("cancellation.timeout", timeout, false);
        }
        JobParameters built = parameters.toJobParameters();
        return launch(run, () -> operator.start(job, built));
    }

    /** Restarts a stopped (or failed) execution of the report: a new execution of the same run. */
    long restart(JobExecution stopped) throws Exception {
        String run = stopped.getJobParameters().getString(NightlyReportJob.RUN);
        return launch(run, () -> operator.restart(stopped));
    }

    private long launch(String run, Launch launch) throws Exception {
        CompletableFuture<Long> id = launched.expect(run);
        try {
            threads.execute(() -> {
                try {
                    launch.run();
                } catch (Exception | Error ex) {
                    // refused before the execution was created (already running, complete, not restartable...)
                    id.completeExceptionally(ex);
                }
            });
            return id.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException ex) {
            throw (ex.getCause() instanceof Exception cause) ? cause : ex;
        } catch (TimeoutException ex) {
            throw new IllegalStateException("report run " + run + " was not created within 10 s", ex);
        } finally {
            launched.forget(run, id);
        }
    }

    @FunctionalInterface
    private interface Launch {
        void run() throws Exception;
    }
}
