package dev.cancellation.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationToken;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.task.TaskRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A class-level {@code @Cancellable} applies to the bean's business methods only: never to its {@code @OnCancel}
 * cleanups nor to {@code equals}/{@code hashCode}/{@code toString}; a {@code public final} method is skipped
 * with one log line instead of failing the startup.
 */
@ExtendWith(OutputCaptureExtension.class)
class CancellableClassLevelTests {

    @org.junit.jupiter.api.BeforeEach
    void clear() {
        Service.tokens.clear();
    }

    @Test
    void onlyBusinessMethodsBecomeTasks() {
        CancellableTestSupport.runner().withBean(Service.class).run(context -> {
            assertThat(context).hasNotFailed();
            Service service = context.getBean(Service.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            service.work();
            service.toString();
            service.hashCode();
            service.equals(service);
            service.cleanup();

            assertThat(Service.tokens).containsKeys("work", "toString", "hashCode", "cleanup"); // equals: the proxy answers itself
            assertThat(Service.tokens.get("work")).as("work ran as a task").isFalse();
            assertThat(Service.tokens).allSatisfy((method, none) -> {
                if (!method.equals("work")) {
                    assertThat(none).as(method + " ran without a task").isTrue();
                }
            });
            assertThat(registry.history()).isEmpty();
        });
    }

    @Test
    void aPublicFinalMethodIsSkippedWithOneClearLogLine(CapturedOutput output) {
        CancellableTestSupport.runner().withBean(Service.class).run(context -> {
            assertThat(context).hasNotFailed();
            Service service = context.getBean(Service.class);
            service.finalWork(); // runs on the target (a proxy cannot advise it), without a task

            assertThat(Service.tokens.get("finalWork")).isTrue();
            String line = "@Cancellable on class " + Service.class.getName()
                    + " does not apply to Service.finalWork(): it is final";
            assertThat(output.getAll()).contains(line);
            assertThat(output.getAll().split(java.util.regex.Pattern.quote(line), -1)).hasSize(2);
        });
    }

    @Cancellable
    static class Service {
        /** Method name -> whether the current token was none while it ran. */
        static final java.util.Map<String, Boolean> tokens = new java.util.concurrent.ConcurrentHashMap<>();

        private static void record(String method) {
            tokens.put(method, CancellationToken.current().isNone());
        }

        public void work() {
            record("work");
        }

        public final void finalWork() {
            record("finalWork");
        }

        @OnCancel
        public void cleanup() {
            record("cleanup");
        }

        @Override
        public String toString() {
            record("toString");
            return "Service";
        }

        @Override
        public int hashCode() {
            record("hashCode");
            return 1;
        }

        @Override
        public boolean equals(Object other) {
            record("equals");
            return other == this;
        }
    }
}
