package dev.cancellation.autoconfigure;

import dev.cancellation.lifecycle.TaskEventLog;
import dev.cancellation.task.TaskRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The task log, {@link TaskEventLog}: one line per task event at DEBUG under the logger
 * {@value TaskEventLog#LOGGER_NAME}, silent unless that logger is enabled for DEBUG at startup. On by default (the
 * logger's level decides); {@code cancellation.task-log.enabled=false} (or {@code cancellation.enabled=false})
 * removes it.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "cancellation.task-log.enabled", matchIfMissing = true)
@ConditionalOnBean(TaskRegistry.class)
public class CancellationTaskLogAutoConfiguration {

    /** The log; it listens to the registry only if its logger logs DEBUG when the context starts. */
    @Bean
    @ConditionalOnMissingBean
    public TaskEventLog cancellationTaskEventLog(TaskRegistry registry) {
        return new TaskEventLog(registry);
    }
}
