package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.core.task.TaskDecorator;
import org.springframework.core.task.TaskExecutor;
import org.springframework.core.task.support.ContextPropagatingTaskDecorator;

/**
 * Our context-propagating task decorator and Spring Boot 4.1's ({@code spring.task.execution.propagate-context})
 * never both wrap the executors: Boot composes every {@link TaskDecorator} bean, so exactly one decorator bean
 * (or none) must exist for each combination of the two settings, and a task submitted to Boot's
 * {@code applicationTaskExecutor} sees the submitter's token whenever either setting is on. Runs on both Boot
 * lines; on 4.0 Boot's property does not exist and only ours can propagate.
 */
class TaskDecoratorCompatibilityTests {

    /** Whether the Boot on the class path has {@code spring.task.execution.propagate-context} (4.1 and later). */
    static final boolean BOOT_PROPAGATES = !SpringBootVersion.getVersion().startsWith("4.0.");

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(TaskExecutionAutoConfiguration.class,
                    CancellationAutoConfiguration.class, CancellationContextPropagationAutoConfiguration.class));

    @ParameterizedTest(name = "ours={0}, boot={1}")
    @CsvSource({ "false, false", "true, false", "false, true", "true, true" })
    void atMostOneDecoratorWrapsTheExecutorsAndTheTokenCrossesWhenEitherIsOn(boolean ours, boolean boot) {
        runner.withPropertyValues("cancellation.context-propagation.task-decorator=" + ours,
                "spring.task.execution.propagate-context=" + boot).run(context -> {
                    boolean bootDecorates = boot && BOOT_PROPAGATES;
                    boolean propagates = ours || bootDecorates;
                    assertThat(context.getBeansOfType(TaskDecorator.class)).hasSize(propagates ? 1 : 0)
                            .allSatisfy((name, decorator) -> {
                                assertThat(decorator).isInstanceOf(ContextPropagatingTaskDecorator.class);
                                // Boot's own wins when it is on; ours only fills in when it is off.
                                assertThat(name).isEqualTo(bootDecorates ? "contextPropagatingTaskDecorator"
                                        : "cancellationContextPropagatingTaskDecorator");
                            });
                    CancellationToken submitter = CancellationSource.create().token();
                    CancellationToken seen = tokenSeenOnTheExecutor(context, submitter);
                    if (propagates) {
                        assertThat(seen).isSameAs(submitter);
                    } else {
                        assertThat(seen.isNone()).as("no propagation unless enabled").isTrue();
                    }
                });
    }

    private static CancellationToken tokenSeenOnTheExecutor(ApplicationContext context, CancellationToken token)
            throws Exception {
        TaskExecutor executor = context.getBean("applicationTaskExecutor", TaskExecutor.class);
        CompletableFuture<CancellationToken> seen = new CompletableFuture<>();
        try (Cancellation.Scope scope = Cancellation.enter(token)) {
            executor.execute(() -> seen.complete(CancellationToken.current()));
        }
        return seen.get(10, TimeUnit.SECONDS);
    }
}
