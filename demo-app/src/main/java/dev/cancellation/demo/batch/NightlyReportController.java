package dev.cancellation.demo.batch;

import dev.cancellation.demo.DemoProperties;
import java.net.URI;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobExecutionAlreadyRunningException;
import org.springframework.batch.core.launch.JobInstanceAlreadyCompleteException;
import org.springframework.batch.core.launch.JobRestartException;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.dao.EmptyResultDataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * The nightly report's API: {@code POST /api/batch/nightly-report} starts a run (202, with the execution id),
 * {@code POST /api/batch/nightly-report/{id}/restart} restarts a stopped execution, {@code GET
 * /api/batch/nightly-report/{id}} shows an execution's status, exit description and counts. Stopping it is the
 * operator's job: {@code DELETE /actuator/cancellation/{taskId}} of the task {@code batch:nightlyReport}.
 *
 * <p>Thread-safety: stateless; the launcher and the job repository are thread-safe.
 */
@RestController
@RequestMapping("/api/batch/nightly-report")
class NightlyReportController {

    private final NightlyReportLauncher launcher;
    private final JobRepository jobRepository;
    private final NightlyReportLines lines;
    private final int defaultItems;

    NightlyReportController(NightlyReportLauncher launcher, JobRepository jobRepository, NightlyReportLines lines,
            DemoProperties properties) {
        this.launcher = launcher;
        this.jobRepository = jobRepository;
        this.lines = lines;
        this.defaultItems = properties.batch().items();
    }

    @PostMapping
    ResponseEntity<ExecutionStatus> start(@RequestParam(required = false) Integer items,
            @RequestParam(required = false) @Nullable String timeout) throws Exception {
        int count = (items == null) ? defaultItems : items;
        if (count < 1 || count > 100_000) {
            throw new IllegalArgumentException("items must be between 1 and 100000: " + count);
        }
        return accepted(launcher.start(count, timeout));
    }

    @PostMapping("/{executionId}/restart")
    ResponseEntity<ExecutionStatus> restart(@PathVariable long executionId) throws Exception {
        JobExecution execution = execution(executionId);
        try {
            return accepted(launcher.restart(execution));
        } catch (JobExecutionAlreadyRunningException | JobInstanceAlreadyCompleteException
                | JobRestartException ex) {
            throw new ResponseStatusException(HttpStatus.CONFLICT, "execution " + executionId
                    + " cannot be restarted: " + ex.getMessage(), ex);
        }
    }

    @GetMapping("/{executionId}")
    ExecutionStatus one(@PathVariable long executionId) {
        return status(execution(executionId));
    }

    /** A refused restart (409) or an unknown execution (404) as a problem detail that says why. */
    @ExceptionHandler(ResponseStatusException.class)
    ResponseEntity<ProblemDetail> refused(ResponseStatusException ex) {
        return ResponseEntity.status(ex.getStatusCode()).body(ex.getBody());
    }

    private ResponseEntity<ExecutionStatus> accepted(long executionId) {
        return ResponseEntity.accepted().location(URI.create("/api/batch/nightly-report/" + executionId))
                .body(status(execution(executionId)));
    }

    private JobExecution execution(long executionId) {
        JobExecution execution;
        try {
            execution = jobRepository.getJobExecution(executionId);
        } catch (EmptyResultDataAccessException ex) { // how the JDBC job repository answers an unknown id
            execution = null;
        }
        if (execution == null || !NightlyReportJob.NAME.equals(execution.getJobInstance().getJobName())) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "no nightly report execution " + executionId);
        }
        return execution;
    }

    private ExecutionStatus status(JobExecution execution) {
        String run = execution.getJobParameters().getString(NightlyReportJob.RUN);
        long written = execution.getStepExecutions().stream().mapToLong(StepExecution::getWriteCount).sum();
        NightlyReportLines.Counts counts = lines.counts(run);
        return new ExecutionStatus(execution.getId(), run,
                execution.getJobParameters().getLong(NightlyReportJob.ITEMS), execution.getStatus().name(),
                execution.getExitStatus().getExitCode(), execution.getExitStatus().getExitDescription(), written,
                counts.rows(), counts.distinctStores());
    }

    /**
     * @param executionId the job execution
     * @param run the report run (a restart is a new execution of the same run)
     * @param items stores the run reads
     * @param status Spring Batch's status: {@code STARTING}, {@code STARTED}, {@code STOPPED}, {@code COMPLETED}...
     * @param exitCode the exit code ({@code UNKNOWN} while running)
     * @param exitDescription why it ended so: for a cancelled run, the cancellation's reason
     * @param itemsWritten stores this execution wrote (committed chunks)
     * @param reportLines rows of the run in {@code nightly_report_line}, over all its executions
     * @param distinctStores distinct stores among them: equal to {@code reportLines} when none was written twice
     */
    record ExecutionStatus(long executionId, String run, Long items, String status, String exitCode,
            String exitDescription, long itemsWritten, long reportLines, long distinctStores) {
    }
}
