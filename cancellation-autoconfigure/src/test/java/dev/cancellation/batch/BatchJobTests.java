package dev.cancellation.batch;

import static dev.cancellation.batch.BatchTestSupport.assertExactlyOnce;
import static dev.cancellation.batch.BatchTestSupport.awaitTask;
import static dev.cancellation.batch.BatchTestSupport.finished;
import static dev.cancellation.batch.BatchTestSupport.h2;
import static dev.cancellation.batch.BatchTestSupport.jdbc;
import static dev.cancellation.batch.BatchTestSupport.jobRow;
import static dev.cancellation.batch.BatchTestSupport.run;
import static dev.cancellation.batch.BatchTestSupport.start;
import static dev.cancellation.batch.BatchTestSupport.stepRow;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.batch.BatchTestJobs.Gate;
import dev.cancellation.batch.BatchTestJobs.Hold;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Spring Batch jobs as tasks, on H2 with Batch's JDBC job repository: the task tree and the step's token in its
 * parts, and every way a job is stopped (operator cancel, deadline, {@code JobOperator.stop}, a tasklet that ignores
 * the token), each ending {@code STOPPED} in the repository and restartable with every item written exactly once.
 */
class BatchJobTests {

    @Test
    void aJobIsATaskAndItsStepAChildWhoseTokenIsCurrentInProcessorAndWriter() {
        BatchTestSupport.runner(h2("batchTree")).run(context -> {
            JdbcTemplate jdbc = jdbc(context);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Gate gate = context.getBean(Gate.class);
            gate.hold = Hold.UNTIL_RELEASED;
            CompletableFuture<JobExecution> execution = start(context, "numbersJob", run("tree"));
            assertThat(gate.reached.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

            TaskInfo job = awaitTask(registry, "batch:numbersJob");
            TaskInfo step = awaitTask(registry, "batch:numbersJob/numbers");
            assertThat(step.parentId()).isEqualTo(job.id());
            assertThat(registry.children(job.id())).extracting(TaskInfo::id).containsExactly(step.id());
            assertThat(job.state()).isEqualTo(TaskState.RUNNING);

            gate.release.countDown();
            JobExecution done = finished(execution);
            assertThat(done.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            assertThat(gate.taskNames).containsEntry("processor", "batch:numbersJob/numbers")
                    .containsEntry("writer", "batch:numbersJob/numbers");
            assertThat(registry.list()).isEmpty();
            assertExactlyOnce(jdbc, BatchTestJobs.ITEMS);
        });
    }

    @Test
    void theStepsTokenIsCurrentOnTheWorkerThreadsOfAMultiThreadedStep() {
        BatchTestSupport.runner(h2("batchParallel")).run(context -> {
            Gate gate = context.getBean(Gate.class);
            JobExecution done = finished(start(context, "parallelJob", run("parallel")));

            assertThat(done.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            assertThat(gate.taskNamesByThread.keySet()).anyMatch(thread -> thread.startsWith("batch-worker-"));
            assertThat(gate.taskNamesByThread.values()).containsOnly("batch:parallelJob/parallel");
        });
    }

    @Test
    void anOperatorCancelStopsTheJobMidChunkAndTheRestartWritesEveryItemOnce() {
        BatchTestSupport.runner(h2("batchOperator")).run(context -> {
            JdbcTemplate jdbc = jdbc(context);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Gate gate = context.getBean(Gate.class);
            gate.hold = Hold.UNTIL_CANCELLED_THEN_THROW;
            CompletableFuture<JobExecution> execution = start(context, "numbersJob", run("operator"));
            assertThat(gate.reached.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

            TaskInfo job = awaitTask(registry, "batch:numbersJob");
            registry.cancel(job.id(), CancellationReason.requested("operator:alice"));

            JobExecution stopped = finished(execution);
            assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
            assertThat(stopped.getExitStatus().getExitCode()).isEqualTo(ExitStatus.STOPPED.getExitCode());
            assertThat(stopped.getExitStatus().getExitDescription()).startsWith("cancelled: REQUESTED")
                    .contains("operator:alice");
            // Recorded by the job repository although the step's token was cancelled: the SQL edge let it through.
            assertThat(jobRow(jdbc, stopped.getId())).containsEntry("STATUS", "STOPPED");
            assertThat(stepRow(jdbc, stopped.getId())).containsEntry("STATUS", "STOPPED")
                    .containsEntry("EXIT_CODE", "STOPPED").containsEntry("COMMIT_COUNT", 4L);
            assertThat(jdbc.queryForObject("select count(*) from batch_target", Integer.class))
                    .isEqualTo(4 * BatchTestJobs.CHUNK); // the held chunk rolled back
            assertThat(registry.list()).isEmpty();

            JobExecution restarted = context.getBean(JobOperator.class).restart(stopped);
            assertThat(restarted.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            assertExactlyOnce(jdbc, BatchTestJobs.ITEMS);
        });
    }

    @Test
    void theDeadlineOfTheJobParameterStopsTheJobWithReasonTimeout() {
        BatchTestSupport.runner(h2("batchDeadline")).run(context -> {
            JdbcTemplate jdbc = jdbc(context);
            context.getBean(Gate.class).hold = Hold.UNTIL_CANCELLED_THEN_THROW;
            JobExecution stopped = finished(start(context, "numbersJob", new JobParametersBuilder()
                    .addString("run", "deadline").addString(BatchTasks.TIMEOUT_PARAMETER, "300ms", false)
                    .toJobParameters()));

            assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
            assertThat(stopped.getExitStatus().getExitDescription()).contains("TIMEOUT");
            assertThat(stepRow(jdbc, stopped.getId())).containsEntry("STATUS", "STOPPED");
            // Wherever the deadline fell (before the held item on a slow machine), only whole chunks committed.
            assertThat(jdbc.queryForObject("select count(*) from batch_target", Integer.class))
                    .isLessThanOrEqualTo(4 * BatchTestJobs.CHUNK).isNotNegative()
                    .satisfies(count -> assertThat(count % BatchTestJobs.CHUNK).isZero());
        });
    }

    @Test
    void theDeadlineOfThePropertyStopsTheJob() {
        BatchTestSupport.runner(h2("batchDeadlineProperty")).withPropertyValues("cancellation.batch.timeout=300ms")
                .run(context -> {
                    jdbc(context);
                    context.getBean(Gate.class).hold = Hold.UNTIL_CANCELLED_THEN_THROW;
                    JobExecution stopped = finished(start(context, "numbersJob", run("property")));
                    assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
                    assertThat(stopped.getExitStatus().getExitDescription()).contains("TIMEOUT");
                });
    }

    @Test
    void jobOperatorStopCancelsTheTokenWithRequestedSoTheChunkInProgressRollsBack() {
        BatchTestSupport.runner(h2("batchJobOperatorStop")).run(context -> {
            JdbcTemplate jdbc = jdbc(context);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Gate gate = context.getBean(Gate.class);
            gate.hold = Hold.UNTIL_CANCELLED_THEN_CONTINUE;
            CompletableFuture<JobExecution> execution = start(context, "numbersJob", run("stop"));
            assertThat(gate.reached.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            TaskInfo step = awaitTask(registry, "batch:numbersJob/numbers");
            long executionId = jobExecutionId(jdbc);
            assertThat(context.getBean(BatchTasks.class).jobToken(executionId)).isPresent();

            assertThat(context.getBean(JobOperator.class).stop(executionId)).isTrue();

            JobExecution stopped = finished(execution);
            assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
            assertThat(stopped.getExitStatus().getExitDescription()).contains("REQUESTED")
                    .contains("JobOperator.stop");
            // The processor went on, but the writer's insert was refused under the cancelled token: rolled back.
            assertThat(stepRow(jdbc, stopped.getId())).containsEntry("STATUS", "STOPPED")
                    .containsEntry("EXIT_CODE", "STOPPED").containsEntry("COMMIT_COUNT", 4L);
            assertThat(jdbc.queryForObject("select count(*) from batch_target", Integer.class))
                    .isEqualTo(4 * BatchTestJobs.CHUNK);
            assertThat(registry.findIncludingHistory(step.id())).get().extracting(TaskInfo::state)
                    .isEqualTo(TaskState.CANCELLED);

            JobExecution restarted = context.getBean(JobOperator.class).restart(stopped);
            assertThat(restarted.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            assertExactlyOnce(jdbc, BatchTestJobs.ITEMS);
        });
    }

    @Test
    void aTaskletThatIgnoresTheTokenIsStoppedTheBatchWayThenInterrupted() {
        BatchTestSupport.runner(h2("batchIgnoring"))
                .withPropertyValues("cancellation.interrupt-after=200ms", "cancellation.abandon-after=5s")
                .run(context -> {
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    Gate gate = context.getBean(Gate.class);
                    CompletableFuture<JobExecution> execution = start(context, "waitJob", run("ignoring"));
                    assertThat(gate.reached.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    TaskInfo job = awaitTask(registry, "batch:waitJob");
                    assertThat(gate.taskNames).containsEntry("tasklet", "batch:waitJob/wait");

                    registry.cancel(job.id(), CancellationReason.requested("operator:bob"));

                    JobExecution stopped = finished(execution);
                    assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
                    assertThat(stopped.getStepExecutions()).singleElement().satisfies(step -> {
                        assertThat(step.getStatus()).isEqualTo(BatchStatus.STOPPED);
                        assertThat(step.getFailureExceptions()).anyMatch(failure ->
                                failure instanceof InterruptedException
                                        || failure.getCause() instanceof InterruptedException);
                    });
                    assertThat(stepRow(jdbc(context), stopped.getId())).containsEntry("STATUS", "STOPPED");
                });
    }

    @Test
    void aCancelTellsAStoppableTaskletToStopAndTheStepEndsStoppedWithoutAnInterrupt() {
        BatchTestSupport.runner(h2("batchStoppable")).withPropertyValues("cancellation.interrupt=false")
                .run(context -> {
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    Gate gate = context.getBean(Gate.class);
                    CompletableFuture<JobExecution> execution = start(context, "stoppableJob", run("stoppable"));
                    assertThat(gate.reached.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    TaskInfo job = awaitTask(registry, "batch:stoppableJob");

                    registry.cancel(job.id(), CancellationReason.requested("operator:carol"));

                    JobExecution stopped = finished(execution);
                    assertThat(gate.stopCalls).hasValue(1);
                    assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
                    assertThat(stopped.getStepExecutions()).singleElement().satisfies(step -> {
                        assertThat(step.getStatus()).isEqualTo(BatchStatus.STOPPED);
                        assertThat(step.getExitStatus().getExitCode()).isEqualTo(ExitStatus.STOPPED.getExitCode());
                        assertThat(step.getExitStatus().getExitDescription()).contains("operator:carol");
                    });
                });
    }

    private static long jobExecutionId(JdbcTemplate jdbc) {
        return jdbc.queryForObject("select max(job_execution_id) from batch_job_execution", Long.class);
    }
}
