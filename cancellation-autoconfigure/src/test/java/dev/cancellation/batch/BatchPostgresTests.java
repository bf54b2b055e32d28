package dev.cancellation.batch;

import static dev.cancellation.batch.BatchTestSupport.assertExactlyOnce;
import static dev.cancellation.batch.BatchTestSupport.finished;
import static dev.cancellation.batch.BatchTestSupport.jdbc;
import static dev.cancellation.batch.BatchTestSupport.jobRow;
import static dev.cancellation.batch.BatchTestSupport.run;
import static dev.cancellation.batch.BatchTestSupport.start;
import static dev.cancellation.batch.BatchTestSupport.stepRow;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.batch.BatchTestJobs.Gate;
import dev.cancellation.batch.BatchTestJobs.Hold;
import dev.cancellation.jdbc.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A Batch job on a real PostgreSQL (the JDBC job repository and the target table in one database of its own):
 * {@code JobOperator.stop} while the chunk's SQL statement runs cancels it on the server, the chunk rolls back, the
 * step and job end {@code STOPPED}, and the restart resumes from the last commit with every item written once.
 */
class BatchPostgresTests {

    private static final String DATABASE = "batch_restart";

    @BeforeAll
    static void createDatabase() throws Exception {
        try (Connection connection = EmbeddedPostgres.server().getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("drop database if exists " + DATABASE);
            statement.execute("create database " + DATABASE);
        }
    }

    @Test
    void jobOperatorStopCancelsTheChunksStatementOnTheServerAndTheRestartResumesExactlyOnce() {
        BatchTestSupport.runner("spring.datasource.url=" + EmbeddedPostgres.server().getJdbcUrl("postgres", DATABASE),
                "spring.datasource.username=postgres", "spring.datasource.password=").run(context -> {
                    JdbcTemplate jdbc = jdbc(context);
                    Gate gate = context.getBean(Gate.class);
                    gate.slowSql = "select pg_sleep(60) /* batch-held-chunk */";
                    gate.hold = Hold.IN_SLOW_SQL;
                    CompletableFuture<JobExecution> execution = start(context, "numbersJob", run("postgres"));
                    assertThat(gate.reached.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    Awaitility.await().atMost(PROMPTLY)
                            .until(() -> !EmbeddedPostgres.activeQueries("batch-held-chunk").isEmpty());
                    long executionId = jdbc.queryForObject("select max(job_execution_id) from batch_job_execution",
                            Long.class);

                    assertThat(context.getBean(JobOperator.class).stop(executionId)).isTrue();

                    JobExecution stopped = finished(execution);
                    assertThat(EmbeddedPostgres.activeQueries("batch-held-chunk")).isEmpty();
                    assertThat(stopped.getStatus()).isEqualTo(BatchStatus.STOPPED);
                    assertThat(jobRow(jdbc, executionId)).containsEntry("status", "STOPPED")
                            .containsEntry("exit_code", "STOPPED");
                    assertThat(stepRow(jdbc, executionId)).containsEntry("status", "STOPPED")
                            .containsEntry("exit_code", "STOPPED").containsEntry("commit_count", 4L);
                    assertThat(jdbc.queryForObject("select count(*) from batch_target", Integer.class))
                            .isEqualTo(4 * BatchTestJobs.CHUNK);

                    JobExecution restarted = context.getBean(JobOperator.class).restart(stopped);
                    assertThat(restarted.getStatus()).isEqualTo(BatchStatus.COMPLETED);
                    assertExactlyOnce(jdbc, BatchTestJobs.ITEMS);
                });
    }
}
