package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationContextPropagationAutoConfiguration;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ContextConsumer;

/**
 * Shared set-up of the behaviour tests: the real auto-configurations in an application context runner, and the
 * Java 21+ helpers of the virtual-thread tests. The tests are compiled with {@code --release 17}, so virtual
 * threads are reached reflectively and the tests that need them skip (assumption) on older JVMs.
 */
public final class CancellableTestSupport {

    private CancellableTestSupport() {
    }

    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                        CancellableAnnotationAutoConfiguration.class,
                        CancellationContextPropagationAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
                        TaskSchedulingAutoConfiguration.class));
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

    /** Waits until exactly one live task named {@code name} exists, in any state, and returns it. */
    static TaskInfo awaitTask(TaskRegistry registry, String name) {
        return awaitTask(registry, name, null);
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

    /** Waits until the registry has no live task and no pending cleanup. */
    static void awaitQuiet(TaskRegistry registry) {
        Awaitility.await().atMost(PROMPTLY).until(() -> registry.size() == 0 && registry.pendingCleanups() == 0);
    }

    /**
     * The exception {@code future} failed with, as stored: {@code get()} and {@code join()} wrap a
     * {@code CancellationException} (such as a {@code TaskCancelledException}) in a new one on Java 23+.
     */
    public static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        Throwable failure = future.handle((value, error) -> error).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        while (failure instanceof CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        if (failure == null) {
            throw new AssertionError("expected " + future + " to fail, but it completed normally");
        }
        return failure;
    }

    /** Runs {@code action} and returns how long it took. */
    public static Duration time(Runnable action) {
        long start = System.nanoTime();
        action.run();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    // ------------------------------------------------------------------------------------------ virtual threads

    /** Skips the calling test below Java 21. */
    static void assumeVirtualThreads() {
        assumeTrue(Runtime.version().feature() >= 21,
                () -> "virtual threads need Java 21+, this JVM is " + Runtime.version()
                        + " (set CANCELLATION_JDK21_HOME to run the virtual-threads suite on one)");
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()}; skips the calling test below Java 21. */
    static ExecutorService newVirtualThreadPerTaskExecutor() {
        assumeVirtualThreads();
        try {
            Method factory = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
            return (ExecutorService) factory.invoke(null);
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("Java " + Runtime.version() + " should have virtual threads", ex);
        }
    }

    /** {@code thread.isVirtual()}, {@code false} below Java 21. */
    static boolean isVirtual(Thread thread) {
        if (Runtime.version().feature() < 21) {
            return false;
        }
        try {
            return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
