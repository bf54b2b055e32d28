package dev.cancellation.jdbc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationJdbcAutoConfiguration;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;

/** The real auto-configurations of a JDBC application with cancellation, for the behaviour tests. */
final class JdbcTestSupport {

    /** How soon after the cancel the query must be gone from the server. */
    static final Duration STOPPED_WITHIN = Duration.ofSeconds(2);

    private JdbcTestSupport() {
    }

    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        TransactionAutoConfiguration.class, CancellationAutoConfiguration.class,
                        CancellableAnnotationAutoConfiguration.class, CancellationJdbcAutoConfiguration.class));
    }

    static ApplicationContextRunner postgres() {
        return runner().withPropertyValues(EmbeddedPostgres.dataSourceProperties());
    }

    /** Waits until exactly one live task named {@code name} is in {@code state}, and returns it. */
    static TaskInfo awaitTask(TaskRegistry registry, String name, TaskState state) {
        return Awaitility.await().atMost(PROMPTLY).until(() -> {
            List<TaskInfo> tasks = registry.list(name, state);
            return tasks.size() == 1 ? tasks.get(0) : null;
        }, info -> info != null);
    }
}
