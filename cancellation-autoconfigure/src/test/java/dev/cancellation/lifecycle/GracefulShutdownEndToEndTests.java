package dev.cancellation.lifecycle;

import static dev.cancellation.spring.CancellableTestSupport.failureOf;
import static dev.cancellation.spring.CancellableTestSupport.time;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.task.ShutdownReport;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskRejectedException;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.context.LifecycleAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * Graceful shutdown end to end, through a real context close with Boot's task execution and scheduling
 * auto-configurations: {@code @Scheduled} and {@code @Async} methods that opt in with {@code @Cancellable} are
 * cancelled with reason {@code SHUTDOWN} in the lifecycle phase before the executors', so Spring's executors do
 * not wait for them for the whole {@code spring.lifecycle.timeout-per-shutdown-phase} (spring-framework#32109).
 */
@ExtendWith(OutputCaptureExtension.class)
class GracefulShutdownEndToEndTests {

    /** Spring's default phase timeout: a close that waited for a task this long would be the #32109 gap. */
    private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(30);

    /** Context close overhead on top of the registry's shutdown bound. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LifecycleAutoConfiguration.class,
                    CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class,
                    CancellationShutdownAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
                    TaskSchedulingAutoConfiguration.class))
            .withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=" + PHASE_TIMEOUT.toSeconds() + "s");

    // ------------------------------------------------------------------------------------------ @Scheduled

    @Test
    void runningScheduledMethodIsCancelledWithReasonShutdownAndTheCloseDoesNotWaitThePhaseTimeout() {
        runner.withUserConfiguration(ScheduledApp.class)
                .withPropertyValues("cancellation.shutdown.timeout=5s", "cancellation.shutdown.last-grace=1s")
                .run(context -> {
                    Probe probe = context.getBean(Probe.class);
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
                    assertThat(probe.pollerStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    TaskInfo running = awaitOne(registry, "shutdown.poll", TaskState.RUNNING);
                    assertThat(running.thread()).as("runs on Boot's scheduler").startsWith("scheduling-");

                    Duration took = time(context::close);

                    // cooperative: ends at the cancel, far within shutdown.timeout + last-grace, and far below
                    // the 30s the scheduler's lifecycle would otherwise wait for the running task
                    assertThat(took).isLessThan(Duration.ofSeconds(5 + 1).plus(SLACK));
                    assertThat(probe.stopReason.get()).as("reason seen by the scheduled method")
                            .isNotNull().extracting(CancellationReason::kind)
                            .isEqualTo(CancellationReason.Kind.SHUTDOWN);
                    ShutdownReport report = reportOf(lifecycle);
                    assertThat(report.cancelled()).extracting(TaskInfo::name).containsExactly("shutdown.poll");
                    assertThat(report.abandoned()).isEmpty();
                    assertThat(report.clean()).isTrue();
                    assertThat(registry.size()).isZero();
                    assertThat(registry.history()).first().satisfies(info -> {
                        assertThat(info.name()).isEqualTo("shutdown.poll");
                        assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
                    });
                });
    }

    /**
     * The control of the test above: without the graceful shutdown, Spring's scheduler lifecycle waits for the
     * running {@code @Scheduled} method for the whole phase timeout. This is the gap the starter closes.
     */
    @Test
    void withoutTheGracefulShutdownSpringWaitsTheWholePhaseTimeoutForTheScheduledMethod() {
        Duration phaseTimeout = Duration.ofSeconds(2);
        runner.withUserConfiguration(ScheduledApp.class)
                .withPropertyValues("cancellation.shutdown.enabled=false",
                        "spring.lifecycle.timeout-per-shutdown-phase=" + phaseTimeout.toMillis() + "ms")
                .run(context -> {
                    assertThat(context).doesNotHaveBean(CancellationLifecycle.class);
                    Probe probe = context.getBean(Probe.class);
                    assertThat(probe.pollerStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

                    Duration took = time(context::close);

                    assertThat(took).as("close waited for the scheduled method")
                            .isGreaterThanOrEqualTo(phaseTimeout.minusMillis(50));
                });
    }

    /**
     * A {@code @Scheduled} method stopped by its cancellation has done what it was asked to: the registry records
     * it (history, metrics, {@code TaskCancelledEvent}), so, like a cancelled {@code @Async void} method, it must
     * not reach Spring's scheduler as an "Unexpected error" logged at ERROR with a stack trace on every graceful
     * shutdown (or every operator cancel).
     */
    @Test
    void cancelledScheduledMethodIsNotLoggedAsAnUnexpectedSchedulerError(CapturedOutput output) {
        runner.withUserConfiguration(ScheduledApp.class).withPropertyValues("cancellation.shutdown.timeout=5s")
                .run(context -> {
                    Probe probe = context.getBean(Probe.class);
                    assertThat(probe.pollerStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    awaitOne(context.getBean(TaskRegistry.class), "shutdown.poll", TaskState.RUNNING);

                    context.close();

                    assertThat(probe.stopReason.get()).isNotNull();
                });
        assertThat(output).doesNotContain("Unexpected error occurred in scheduled task");
    }

    // ------------------------------------------------------------------------------------------ @Async

    @Test
    void runningAsyncMethodIsCancelledAtCloseItsCleanupRunsBeforeBeansAreDestroyedAndNewCallsFailFast()
            throws Exception {
        runner.withUserConfiguration(AsyncApp.class)
                .withPropertyValues("cancellation.shutdown.timeout=10s", "cancellation.cleanup.timeout=10s")
                .run(context -> {
                    Probe probe = context.getBean(Probe.class);
                    Exporter exporter = context.getBean(Exporter.class);
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
                    CompletableFuture<String> export = exporter.export("a.csv");
                    assertThat(probe.exportStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    TaskInfo running = awaitOne(registry, "shutdown.export", TaskState.RUNNING);
                    assertThat(running.thread()).as("attached on Boot's executor").startsWith("task-");

                    CompletableFuture<Duration> closing = closeOnAnotherThread(context);

                    // the cleanup holds the shutdown open (it waits for the test): shutdown has begun, the context
                    // is not closed yet
                    assertThat(probe.cleanupStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    assertThat(failureOf(export)).isInstanceOfSatisfying(TaskCancelledException.class,
                            ex -> assertThat(ex.reason().kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN));
                    assertThat(closing).isNotDone();
                    assertThat(registry.isAdmitting()).isFalse();

                    // new calls fail fast, at the call, and never reach the executor
                    assertThatThrownBy(() -> exporter.export("late.csv")).isInstanceOf(TaskRejectedException.class)
                            .hasMessageContaining("shutdown.export");
                    assertThatThrownBy(exporter::syncWork).isInstanceOf(TaskRejectedException.class)
                            .hasMessageContaining("shutdown.sync");
                    assertThat(probe.exportCalls).hasValue(1);

                    probe.releaseCleanup.countDown();
                    Duration took = closing.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                    assertThat(took).isLessThan(Duration.ofSeconds(10).plus(SLACK));
                    assertThat(probe.events).containsExactly(
                            "cleanup a.csv SHUTDOWN on cancellation-cleanup thread, beans alive",
                            "cleanup done",
                            "beans destroyed");
                    ShutdownReport report = reportOf(lifecycle);
                    assertThat(report.cancelled()).extracting(TaskInfo::name).containsExactly("shutdown.export");
                    assertThat(report.cleanupsSucceeded()).isEqualTo(1);
                    assertThat(report.clean()).isTrue();
                    assertThat(registry.size()).isZero();
                });
    }

    @Test
    void methodBlockedInTakeIgnoringItsTokenIsInterruptedAtShutdownAndTheCloseStaysWithinTheBound() {
        runner.withUserConfiguration(AsyncApp.class)
                .withPropertyValues("cancellation.shutdown.timeout=1s", "cancellation.shutdown.last-grace=2s")
                .run(context -> {
                    Probe probe = context.getBean(Probe.class);
                    Consumer consumer = context.getBean(Consumer.class);
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
                    consumer.consume();
                    assertThat(probe.consumerStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    awaitOne(registry, "shutdown.consume", TaskState.RUNNING);

                    Duration took = time(context::close);

                    // timeout + last grace + slack, far below the 30s phase timeout the executor would wait
                    assertThat(took).isLessThan(Duration.ofSeconds(1 + 2).plus(SLACK));
                    assertThat(probe.interruptedWithReason.get()).as("interrupted in take(), token cancelled with")
                            .isNotNull().extracting(CancellationReason::kind)
                            .isEqualTo(CancellationReason.Kind.SHUTDOWN);
                    ShutdownReport report = reportOf(lifecycle);
                    // it exited within the registry's bound (an interrupt by the executor's own destruction, after
                    // the registry gave up, would have left it abandoned)
                    assertThat(report.abandoned()).isEmpty();
                    assertThat(report.cancelled()).extracting(TaskInfo::name).containsExactly("shutdown.consume");
                    assertThat(registry.size()).isZero();
                    assertThat(registry.history()).first().satisfies(info -> {
                        assertThat(info.name()).isEqualTo("shutdown.consume");
                        assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
                    });
                });
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static TaskInfo awaitOne(TaskRegistry registry, String name, TaskState state) {
        return Awaitility.await().atMost(PROMPTLY).until(() -> {
            List<TaskInfo> tasks = registry.list(name, state);
            return (tasks.size() == 1 && tasks.get(0).thread() != null) ? tasks.get(0) : null;
        }, info -> info != null);
    }

    private static ShutdownReport reportOf(CancellationLifecycle lifecycle) {
        ShutdownReport report = lifecycle.getLastReport();
        assertThat(report).as("shutdown report").isNotNull();
        return report;
    }

    private static CompletableFuture<Duration> closeOnAnotherThread(AssertableApplicationContext context) {
        CompletableFuture<Duration> closing = new CompletableFuture<>();
        Thread closer = new Thread(() -> {
            try {
                closing.complete(time(context::close));
            } catch (Throwable ex) {
                closing.completeExceptionally(ex);
            }
        }, "context-close");
        closer.setDaemon(true);
        closer.start();
        return closing;
    }

    // ------------------------------------------------------------------------------------------ applications

    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    static class ScheduledApp {

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        Poller poller(Probe probe) {
            return new Poller(probe);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    static class AsyncApp {

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        Exporter exporter(Probe probe) {
            return new Exporter(probe);
        }

        @Bean
        Consumer consumer(Probe probe) {
            return new Consumer(probe);
        }
    }

    /** What the beans saw; destroyed with the context, which it records. */
    static class Probe implements DisposableBean {
        final CountDownLatch pollerStarted = new CountDownLatch(1);
        final AtomicReference<CancellationReason> stopReason = new AtomicReference<>();
        final CountDownLatch exportStarted = new CountDownLatch(1);
        final AtomicInteger exportCalls = new AtomicInteger();
        final CountDownLatch cleanupStarted = new CountDownLatch(1);
        final CountDownLatch releaseCleanup = new CountDownLatch(1);
        final CountDownLatch consumerStarted = new CountDownLatch(1);
        final AtomicReference<CancellationReason> interruptedWithReason = new AtomicReference<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile boolean destroyed;

        @Override
        public void destroy() {
            destroyed = true;
            events.add("beans destroyed");
        }
    }

    static class Poller {

        private final Probe probe;

        Poller(Probe probe) {
            this.probe = probe;
        }

        /** Polls until cancelled; never interrupted by its own escalation, so only the cancel can stop it. */
        @Scheduled(fixedDelay = 3_600_000)
        @Cancellable(name = "shutdown.poll", interruptAfter = "never")
        public void poll() throws InterruptedException {
            probe.pollerStarted.countDown();
            try {
                while (true) {
                    Cancellation.sleep(Duration.ofMillis(100));
                }
            } catch (TaskCancelledException ex) {
                probe.stopReason.set(ex.reason());
                throw ex;
            }
        }
    }

    static class Exporter {

        private final Probe probe;

        Exporter(Probe probe) {
            this.probe = probe;
        }

        @Async
        @Cancellable(name = "shutdown.export", interruptAfter = "never")
        public CompletableFuture<String> export(String file) throws InterruptedException {
            probe.exportCalls.incrementAndGet();
            probe.exportStarted.countDown();
            while (true) {
                Cancellation.sleep(Duration.ofMillis(100));
            }
        }

        @Cancellable(name = "shutdown.sync")
        public String syncWork() {
            return "ran";
        }

        @OnCancel("shutdown.export")
        public void cleanUp(CancellationReason reason, String file) throws InterruptedException {
            String thread = Thread.currentThread().getName().startsWith("cancellation-cleanup-")
                    ? "cancellation-cleanup thread" : Thread.currentThread().getName();
            probe.events.add("cleanup " + file + " " + reason.kind() + " on " + thread + ", "
                    + (probe.destroyed ? "beans destroyed" : "beans alive"));
            probe.cleanupStarted.countDown();
            // holds the shutdown open while the test calls the beans
            probe.releaseCleanup.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            probe.events.add("cleanup done");
        }
    }

    static class Consumer {

        private final Probe probe;
        private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        Consumer(Probe probe) {
            this.probe = probe;
        }

        /** Ignores its token: only an interrupt gets it out of {@code take()}. */
        @Async
        @Cancellable(name = "shutdown.consume", interruptAfter = "never")
        public void consume() throws InterruptedException {
            probe.consumerStarted.countDown();
            try {
                while (true) {
                    queue.take();
                }
            } catch (InterruptedException ex) {
                probe.interruptedWithReason.set(CancellationToken.current().reason().orElse(null));
                throw ex;
            }
        }
    }
}
