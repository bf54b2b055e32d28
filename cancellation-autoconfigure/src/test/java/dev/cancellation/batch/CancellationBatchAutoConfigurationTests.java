package dev.cancellation.batch;

import static dev.cancellation.batch.BatchTestSupport.finished;
import static dev.cancellation.batch.BatchTestSupport.h2;
import static dev.cancellation.batch.BatchTestSupport.jdbc;
import static dev.cancellation.batch.BatchTestSupport.start;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationBatchAutoConfiguration;
import dev.cancellation.autoconfigure.InvalidCancellationPropertyException;
import dev.cancellation.batch.BatchTestJobs.Gate;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.Advised;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Every branch of {@code CancellationBatchAutoConfiguration}, its property and its job parameter. */
class CancellationBatchAutoConfigurationTests {

    private final ApplicationContextRunner runner = BatchTestSupport.runner(h2("batchAutoConfiguration"));

    @Test
    void equipsTheRepositoryAndTheOperatorAndRunsJobsAsTasks() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(BatchTasks.class).hasSingleBean(BatchTaskPostProcessor.class);
            assertThat(advices(context.getBean(JobRepository.class))).contains(UnboundBookkeeping.class);
            assertThat(advices(context.getBean(JobOperator.class))).contains(StopCancelsTask.class);
            jdbc(context);
            JobExecution done = finished(start(context, "numbersJob", BatchTestSupport.run("equipped")));
            assertThat(done.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            assertThat(context.getBean(Gate.class).taskNames).containsEntry("processor", "batch:numbersJob/numbers");
        });
    }

    @Test
    void isOffWhenDisabledAndJobsRunWithoutTasks() {
        runner.withPropertyValues("cancellation.batch.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(BatchTasks.class).doesNotHaveBean(BatchTaskPostProcessor.class);
            jdbc(context);
            JobExecution done = finished(start(context, "numbersJob", BatchTestSupport.run("disabled")));
            assertThat(done.getStatus()).isEqualTo(BatchStatus.COMPLETED);
            assertThat(context.getBean(Gate.class).taskNames).isEmpty();
        });
        minimal().withPropertyValues("cancellation.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean(BatchTasks.class).doesNotHaveBean(TaskRegistry.class));
    }

    @Test
    void isOffWithoutSpringBatch() {
        minimal().withClassLoader(new FilteredClassLoader(JobExecutionListener.class))
                .run(context -> assertThat(context).hasSingleBean(TaskRegistry.class)
                        .doesNotHaveBean(BatchTasks.class));
    }

    @Test
    void anApplicationsOwnBatchTasksWins() {
        runner.withUserConfiguration(OwnTasks.class).run(context ->
                assertThat(context.getBean(BatchTasks.class)).isSameAs(context.getBean("ownTasks")));
    }

    @Test
    void aNegativeTimeoutFailsTheStartNamingTheProperty() {
        runner.withPropertyValues("cancellation.batch.timeout=-1s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasRootCauseInstanceOf(InvalidCancellationPropertyException.class)
                    .rootCause().hasMessageContaining("cancellation.batch.timeout").hasMessageContaining("-1");
        });
    }

    @Test
    void aMalformedTimeoutParameterFailsTheJobNamingTheParameterAndTheValue() {
        runner.run(context -> {
            jdbc(context);
            JobExecution failed = finished(start(context, "numbersJob", new JobParametersBuilder()
                    .addString("run", "malformed").addString(BatchTasks.TIMEOUT_PARAMETER, "soon", false)
                    .toJobParameters()));
            assertThat(failed.getStatus()).isEqualTo(BatchStatus.FAILED);
            assertThat(failed.getExitStatus().getExitDescription()).contains(BatchTasks.TIMEOUT_PARAMETER)
                    .contains("'soon'");
            assertThat(context.getBean(TaskRegistry.class).list()).isEmpty();
        });
    }

    private static ApplicationContextRunner minimal() {
        return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(
                CancellationAutoConfiguration.class, CancellationBatchAutoConfiguration.class));
    }

    private static List<Class<?>> advices(Object bean) {
        assertThat(bean).isInstanceOf(Advised.class);
        return Arrays.stream(((Advised) bean).getAdvisors()).map(advisor -> advisor.getAdvice().getClass())
                .<Class<?>>map(type -> type).toList();
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnTasks {

        @Bean
        BatchTasks ownTasks(TaskRegistry registry) {
            return new BatchTasks(registry, Duration.ofMinutes(1), null, null);
        }
    }
}
