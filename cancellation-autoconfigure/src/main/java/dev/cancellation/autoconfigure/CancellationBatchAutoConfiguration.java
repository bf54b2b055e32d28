package dev.cancellation.autoconfigure;

import dev.cancellation.batch.BatchTaskPostProcessor;
import dev.cancellation.batch.BatchTasks;
import dev.cancellation.task.TaskRegistry;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;

/**
 * Auto-configuration of the Spring Batch edge: job and step executions as tasks ({@link BatchTasks}), registered
 * on every job and step bean by a {@link BatchTaskPostProcessor}, which also shields the job repository from the
 * current token and makes {@code JobOperator.stop} cancel the job's task. Active when Spring Batch is on the class
 * path, a {@link TaskRegistry} exists and {@code cancellation.batch.enabled} is not {@code false}; beans defined by
 * the application win.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnClass(JobExecutionListener.class)
@ConditionalOnBean(TaskRegistry.class)
@ConditionalOnBooleanProperty(name = {"cancellation.enabled", "cancellation.batch.enabled"}, matchIfMissing = true)
@EnableConfigurationProperties({CancellationProperties.class, CancellationBatchProperties.class})
public class CancellationBatchAutoConfiguration {

    /** The job and step runs: escalated with {@code cancellation.interrupt-after} and {@code .abandon-after}. */
    @Bean
    @ConditionalOnMissingBean
    public BatchTasks cancellationBatchTasks(TaskRegistry registry, CancellationProperties properties,
            CancellationBatchProperties batch) {
        return new BatchTasks(registry, batch.getTimeout(),
                properties.isInterrupt() ? properties.getInterruptAfter() : null, properties.getAbandonAfter());
    }

    /**
     * The post-processor that equips jobs, steps, the repository and the operator. Static, with the runs looked
     * up lazily, because bean post-processors are created before other beans can be.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static BatchTaskPostProcessor cancellationBatchTaskPostProcessor(ObjectProvider<BatchTasks> tasks) {
        return new BatchTaskPostProcessor(tasks::getObject);
    }
}
