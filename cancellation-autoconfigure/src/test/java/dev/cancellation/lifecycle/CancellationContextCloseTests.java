package dev.cancellation.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.task.ShutdownReport;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.context.LifecycleAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Closing a Spring context with running tasks: each shutdown step, the report, the log line, and that the close
 * finishes within {@code drain-timeout + timeout + last-grace} plus a small constant.
 */
@ExtendWith(OutputCaptureExtension.class)
class CancellationContextCloseTests {

    /** Context close overhead on top of the registry's bound: generous for CI, small against a hang. */
    private static final Duration SLACK = Duration.ofSeconds(2);

    private final CompletableFuture<Void> release = new CompletableFuture<>();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LifecycleAutoConfiguration.class,
                    CancellationAutoConfiguration.class, CancellationShutdownAutoConfiguration.class))
            .withPropertyValues("cancellation.shutdown.timeout=500ms", "cancellation.shutdown.last-grace=300ms",
                    "cancellation.cleanup.timeout=300ms", "spring.lifecycle.timeout-per-shutdown-phase=20s");

    @AfterEach
    void tearDown() {
        release.complete(null);
    }

    /** Runs a task on its own thread; the future completes with what the call returned or threw. */
    private static CompletableFuture<Object> startTask(TaskRegistry registry, TaskSpec spec,
            TaskRegistry.TaskBody<Object> body) {
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread thread = new Thread(() -> {
            try {
                outcome.complete(registry.call(spec, token -> {
                    started.countDown();
                    return body.run(token);
                }));
            } catch (Throwable ex) {
                outcome.complete(ex);
            } finally {
                started.countDown();
            }
        }, "task-" + spec.name());
        thread.setDaemon(true);
        thread.start();
        try {
            started.await();
        } catch (InterruptedException ex) {
            throw new AssertionError(ex);
        }
        return outcome;
    }

    private static TaskSpec spec(String name) {
        return new TaskSpec(name, CancellationToken.none(), null, null, null, null);
    }

    private static final TaskRegistry.TaskBody<Object> COOPERATIVE = token -> {
        token.whenCancelled().toCompletableFuture().join();
        token.throwIfCancelled();
        return null;
    };

    /** Closes the context, asserts the bound, and returns the report. */
    private static ShutdownReport closeWithin(AssertableApplicationContext context, Duration bound) {
        CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
        long start = System.nanoTime();
        context.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("context close").isLessThanOrEqualTo(bound.plus(SLACK));
        assertThat(lifecycle.getLastReport()).as("shutdown report").isNotNull();
        return lifecycle.getLastReport();
    }

    @Test
    void cooperatingTasksAreCancelledAndTheReportIsLoggedOnceAtInfo(CapturedOutput output) {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Object> a = startTask(registry, spec("report"), COOPERATIVE);
            CompletableFuture<Object> b = startTask(registry, spec("export"), COOPERATIVE);
            ShutdownReport report = closeWithin(context, Duration.ofMillis(800));
            assertThat(report.runningAtStart()).isEqualTo(2);
            assertThat(report.cancelled()).extracting(TaskInfo::name).containsExactlyInAnyOrder("report", "export");
            assertThat(report.clean()).isTrue();
            assertThat(a.join()).isInstanceOfSatisfying(TaskCancelledException.class,
                    ex -> assertThat(ex.reason().kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN));
            assertThat(b.join()).isInstanceOf(TaskCancelledException.class);
            assertThat(registry.isAdmitting()).isFalse();
        });
        assertThat(output.getOut().split("Cancellation shutdown report", -1)).hasSize(2);
        assertThat(output).contains("INFO").contains("2 task(s) running, 2 cancelled");
    }

    @Test
    void taskIgnoringCancelIsInterrupted() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Object> task = startTask(registry, spec("ignoresCancel"), token -> {
                new CountDownLatch(1).await();
                return null;
            });
            ShutdownReport report = closeWithin(context, Duration.ofMillis(800));
            assertThat(report.clean()).isTrue();
            assertThat(task.join()).isInstanceOf(TaskCancelledException.class);
        });
    }

    @Test
    void taskIgnoringInterruptsIsAbandonedAndReportedAtWarnWithItsStack(CapturedOutput output) {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            startTask(registry, spec("deaf"), token -> {
                release.join();
                return null;
            });
            ShutdownReport report = closeWithin(context, Duration.ofMillis(800));
            assertThat(report.abandoned()).singleElement().satisfies(abandoned -> {
                assertThat(abandoned.task().name()).isEqualTo("deaf");
                assertThat(abandoned.task().state()).isEqualTo(TaskState.ABANDONED);
                assertThat(abandoned.stack()).isNotEmpty();
            });
        });
        assertThat(output).contains("WARN").contains("1 abandoned").contains("ABANDONED deaf")
                .contains("CompletableFuture.join(");
    }

    @Test
    void failingAndHangingCleanupsAreReportedAndDoNotHoldTheClose() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            startTask(registry, spec("failsCleanup").withCleanup((info, reason, token) -> {
                throw new IllegalStateException("cleanup bug");
            }), COOPERATIVE);
            startTask(registry, spec("hangsCleanup").withCleanup((info, reason, token) -> {
                release.join(); // ignores its token and interrupts
                return null;
            }), COOPERATIVE);
            ShutdownReport report = closeWithin(context, Duration.ofMillis(800));
            assertThat(report.cleanupsFailed()).isEqualTo(1);
            assertThat(report.cleanupsTimedOut()).isEqualTo(1);
            assertThat(report.cancelled()).hasSize(2);
        });
    }

    @Test
    void drainTimeoutLetsATaskFinishOnItsOwn() {
        runner.withPropertyValues("cancellation.shutdown.drain-timeout=5s").run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Object> task = startTask(registry, spec("finishes"), token -> {
                release.join();
                return token.isCancelled() ? "cancelled" : "finished";
            });
            CompletableFuture.runAsync(() -> {
                await().until(() -> !registry.isAdmitting());
                release.complete(null);
            });
            ShutdownReport report = closeWithin(context, Duration.ofMillis(5800));
            assertThat(task.join()).isEqualTo("finished");
            assertThat(report.cancelled()).isEmpty();
            assertThat(report.clean()).isTrue();
        });
    }

    @Test
    void shutdownLongerThanThePhaseTimeoutIsStillBoundedByTheRegistry() {
        runner.withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=200ms",
                "cancellation.shutdown.timeout=600ms").run(context -> {
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    startTask(registry, spec("deaf"), token -> {
                        release.join();
                        return null;
                    });
                    long start = System.nanoTime();
                    context.close(); // Spring stops waiting for the phase at 200ms; the registry's close waits on
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(900).plus(SLACK));
                    assertThat(registry.abandonedCount()).isEqualTo(1);
                });
    }
}
