package dev.cancellation.batch;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationBatchAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationJdbcAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.batch.autoconfigure.BatchAutoConfiguration;
import org.springframework.boot.batch.jdbc.autoconfigure.BatchJdbcAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/** A Spring Batch application with its JDBC job repository and the cancellation starter, and what the tests ask. */
final class BatchTestSupport {

    private BatchTestSupport() {
    }

    /** Boot's auto-configurations of a Batch application on a JDBC data source, with the SQL edge, and the jobs. */
    static ApplicationContextRunner runner(String... dataSource) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        TransactionAutoConfiguration.class,
                        BatchAutoConfiguration.class, BatchJdbcAutoConfiguration.class,
                        CancellationAutoConfiguration.class, CancellationShutdownAutoConfiguration.class,
                        CancellationJdbcAutoConfiguration.class, CancellationBatchAutoConfiguration.class))
                .withUserConfiguration(BatchTestJobs.class)
                .withPropertyValues("spring.batch.jdbc.initialize-schema=always", "spring.batch.job.enabled=false")
                .withPropertyValues(dataSource);
    }

    /** An H2 database of its own, kept until the JVM exits (so that it can be read after the context closed). */
    static String[] h2(String name) {
        return new String[] {"spring.datasource.url=jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1"};
    }

    static JdbcTemplate jdbc(ApplicationContext context) {
        JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
        jdbc.execute("create table if not exists batch_target (item int not null)");
        return jdbc;
    }

    /** Starts the job through the JobOperator on a thread of its own (the operator runs it synchronously). */
    static CompletableFuture<JobExecution> start(ApplicationContext context, String job, JobParameters parameters) {
        JobOperator operator = context.getBean(JobOperator.class);
        Job bean = context.getBean(job, Job.class);
        return CompletableFuture.supplyAsync(() -> {
            try {
                return operator.start(bean, parameters);
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        }, runnable -> new Thread(runnable, "batch-test-" + job).start());
    }

    static JobParameters run(String id) {
        return new JobParametersBuilder().addString("run", id).toJobParameters();
    }

    static JobExecution finished(CompletableFuture<JobExecution> execution) throws Exception {
        return execution.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until exactly one live task named {@code name} runs, and returns it. */
    static TaskInfo awaitTask(TaskRegistry registry, String name) {
        return Awaitility.await().atMost(PROMPTLY).until(() -> {
            List<TaskInfo> tasks = registry.list(name, null);
            return tasks.size() == 1 ? tasks.get(0) : null;
        }, info -> info != null);
    }

    /** The row of a job execution as the job repository recorded it. */
    static Map<String, Object> jobRow(JdbcTemplate jdbc, long executionId) {
        return jdbc.queryForMap("select status, exit_code, exit_message from batch_job_execution"
                + " where job_execution_id = ?", executionId);
    }

    /** The row of the one step execution of a job execution. */
    static Map<String, Object> stepRow(JdbcTemplate jdbc, long executionId) {
        return jdbc.queryForMap("select status, exit_code, exit_message, commit_count from batch_step_execution"
                + " where job_execution_id = ?", executionId);
    }

    /** Every item written exactly once: the count and the distinct count are both {@code items}. */
    static void assertExactlyOnce(JdbcTemplate jdbc, int items) {
        assertThat(jdbc.queryForObject("select count(*) from batch_target", Integer.class)).isEqualTo(items);
        assertThat(jdbc.queryForObject("select count(distinct item) from batch_target", Integer.class))
                .isEqualTo(items);
    }
}
