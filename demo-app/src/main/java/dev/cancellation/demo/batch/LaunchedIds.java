package dev.cancellation.demo.batch;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.stereotype.Component;

/**
 * The nightly report's {@link JobExecutionListener} that hands a new execution's id, in {@code beforeJob} (once the
 * job repository has created it), to the request waiting for it in {@link NightlyReportLauncher}.
 *
 * <p>Thread-safety: the launches waiting for their id are kept in a concurrent map keyed by report run.
 */
@Component
class LaunchedIds implements JobExecutionListener {

    private final Map<String, CompletableFuture<Long>> waiting = new ConcurrentHashMap<>();

    /** Registers a launch of {@code run} about to happen; its id completes the returned future. */
    CompletableFuture<Long> expect(String run) {
        CompletableFuture<Long> id = new CompletableFuture<>();
        if (waiting.putIfAbsent(run, id) != null) {
            throw new IllegalStateException("report run " + run + " is being launched already");
        }
        return id;
    }

    /** Stops waiting for the launch of {@code run}. */
    void forget(String run, CompletableFuture<Long> id) {
        waiting.remove(run, id);
    }

    @Override
    public void beforeJob(JobExecution execution) {
        CompletableFuture<Long> id = waiting.get(execution.getJobParameters().getString(NightlyReportJob.RUN));
        if (id != null) {
            id.complete(execution.getId());
        }
    }
}
