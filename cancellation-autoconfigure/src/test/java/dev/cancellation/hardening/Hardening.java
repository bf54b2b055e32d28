package dev.cancellation.hardening;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.util.List;
import org.awaitility.Awaitility;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;

/** Shared support of the hardening tests. */
final class Hardening {

    private Hardening() {
    }

    /** The cancellation auto-configurations, without web or metrics. */
    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner().withConfiguration(
                AutoConfigurations.of(CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class));
    }

    /** Asserts a startup failure whose {@code IllegalStateException} message contains every part. */
    static ContextConsumer<AssertableApplicationContext> startupFails(String... messageParts) {
        return context -> {
            assertThat(context).hasFailed();
            Throwable root = context.getStartupFailure();
            while (root.getCause() != null && !(root instanceof IllegalStateException)) {
                root = root.getCause();
            }
            assertThat(root).isInstanceOf(IllegalStateException.class);
            assertThat(root.getMessage()).contains(messageParts);
        };
    }

    /** Waits until exactly one live task named {@code name} exists, and returns it. */
    static TaskInfo awaitTask(TaskRegistry registry, String name) {
        return Awaitility.await().atMost(PROMPTLY).until(() -> {
            List<TaskInfo> tasks = registry.list(name, null);
            return tasks.size() == 1 ? tasks.get(0) : null;
        }, info -> info != null);
    }

    /** Waits until the registry has no live task and no pending cleanup. */
    static void awaitQuiet(TaskRegistry registry) {
        Awaitility.await().atMost(PROMPTLY).until(() -> registry.size() == 0 && registry.pendingCleanups() == 0);
    }
}
