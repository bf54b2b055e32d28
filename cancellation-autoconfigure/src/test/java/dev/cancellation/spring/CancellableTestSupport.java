package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationContextPropagationAutoConfiguration;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.List;
import org.awaitility.Awaitility;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Shared set-up of the behaviour tests: the real auto-configurations in an application context runner. */
final class CancellableTestSupport {

    private CancellableTestSupport() {
    }

    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                        CancellableAnnotationAutoConfiguration.class,
                        CancellationContextPropagationAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
                        TaskSchedulingAutoConfiguration.class));
    }

    /** Waits until exactly one live task named {@code name} is in {@code state}, and returns it. */
    static TaskInfo awaitTask(TaskRegistry registry, String name, TaskState state) {
        return Awaitility.await().atMost(PROMPTLY).until(() -> {
            List<TaskInfo> tasks = registry.list(name, state);
            return tasks.size() == 1 ? tasks.get(0) : null;
        }, info -> info != null);
    }

    /** Waits until the registry has no live task. */
    static void awaitEmpty(TaskRegistry registry) {
        Awaitility.await().atMost(PROMPTLY).until(() -> registry.size() == 0);
    }
}
