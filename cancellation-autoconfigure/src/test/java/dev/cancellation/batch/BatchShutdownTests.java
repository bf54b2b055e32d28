package dev.cancellation.batch;

import static dev.cancellation.batch.BatchTestSupport.finished;
import static dev.cancellation.batch.BatchTestSupport.h2;
import static dev.cancellation.batch.BatchTestSupport.jdbc;
import static dev.cancellation.batch.BatchTestSupport.run;
import static dev.cancellation.batch.BatchTestSupport.start;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.cancellation.batch.BatchTestJobs.Gate;
import dev.cancellation.batch.BatchTestJobs.Hold;
import dev.cancellation.lifecycle.CancellationLifecycle;
import dev.cancellation.task.ShutdownReport;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Closing the application while a job runs: the job is stopped with reason {@code SHUTDOWN} and waited for, its
 * {@code STOPPED} state reaches the job repository before the data source closes, the shutdown report names it,
 * and the next application restarts it where it stopped.
 */
class BatchShutdownTests {

    @Test
    void aRunningJobIsStoppedRecordedAndNamedAtShutdownAndTheNextApplicationResumesIt() {
        String url = "jdbc:h2:mem:batchShutdown;DB_CLOSE_DELAY=-1";
        BatchTestSupport.runner(h2("batchShutdown")).run(context -> {
            jdbc(context);
            Gate gate = context.getBean(Gate.class);
            gate.hold = Hold.UNTIL_CANCELLED_THEN_THROW;
            CompletableFuture<JobExecution> execution = start(context, "numbersJob", run("shutdown"));
            assertThat(gate.reached.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            HikariDataSource pool = context.getBean(HikariDataSource.class);
            CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);

            context.close();

            assertThat(pool.isClosed()).isTrue();
            JobExecution stopped = finished(execution);
            assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
            ShutdownReport report = lifecycle.getLastReport();
            assertThat(report).isNotNull();
            assertThat(report.describe()).contains("batch:numbersJob");

            JdbcTemplate afterwards = new JdbcTemplate(new DriverManagerDataSource(url, "sa", ""));
            Map<String, Object> job = afterwards.queryForMap("select status, exit_code, exit_message"
                    + " from batch_job_execution where job_execution_id = ?", stopped.getId());
            assertThat(job).containsEntry("STATUS", "STOPPED").containsEntry("EXIT_CODE", "STOPPED");
            assertThat((String) job.get("EXIT_MESSAGE")).contains("SHUTDOWN");
            assertThat(afterwards.queryForObject("select count(*) from batch_target", Integer.class))
                    .isEqualTo(4 * BatchTestJobs.CHUNK);
        });

        BatchTestSupport.runner(h2("batchShutdown")).run(context -> {
            JdbcTemplate jdbc = jdbc(context);
            JobOperator operator = context.getBean(JobOperator.class);
            long stoppedId = jdbc.queryForObject("select max(job_execution_id) from batch_job_execution", Long.class);
            JobExecution restarted = operator.restart(context.getBean(JobRepository.class).getJobExecution(stoppedId));
            assertThat(restarted.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            BatchTestSupport.assertExactlyOnce(jdbc, BatchTestJobs.ITEMS);
        });
    }
}
