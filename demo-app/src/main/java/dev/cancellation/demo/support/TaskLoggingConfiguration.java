package dev.cancellation.demo.support;

import dev.cancellation.task.TaskRegistry;
import org.springframework.context.annotation.Configuration;

/** Adds the one-line-per-event {@link TaskEventLog} to the task registry. */
@Configuration(proxyBeanMethods = false)
class TaskLoggingConfiguration {

    TaskLoggingConfiguration(TaskRegistry registry) {
        registry.addListener(new TaskEventLog());
    }
}
