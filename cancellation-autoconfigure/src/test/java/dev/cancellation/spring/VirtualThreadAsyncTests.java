package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.lifecycle.CancellationLifecycle;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.context.LifecycleAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskDecorator;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;

/**
 * {@code @Async @Cancellable} methods on the virtual threads of Boot's executor
 * ({@code spring.threads.virtual.enabled=true}; Java 21+, skipped below): the body gets its token, times out, and
 * a body blocked ignoring its token is interrupted after its grace (or by the graceful shutdown), the interrupt
 * being consumed before the virtual thread leaves the task.
 */
@Tag("virtual-threads")
class VirtualThreadAsyncTests {

    /** Context close overhead on top of the registry's shutdown bound. */
    private static final Duration SLACK = Duration.ofSeconds(3);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                    CancellableAnnotationAutoConfiguration.class, TaskExecutionAutoConfiguration.class))
            .withUserConfiguration(AsyncApp.class)
            .withPropertyValues("spring.threads.virtual.enabled=true");

    @BeforeEach
    void needsVirtualThreads() {
        CancellableTestSupport.assumeVirtualThreads();
    }

    @Test
    void bootsExecutorRunsTheAsyncBodyOnAVirtualThread() {
        runner.run(context -> assertThat(context.getBean("applicationTaskExecutor"))
                .isInstanceOf(SimpleAsyncTaskExecutor.class));
    }

    @Test
    void asyncBodyOnAVirtualThreadGetsItsTokenAndTimesOut() {
        runner.run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            CompletableFuture<String> result = jobs.timesOut(null);

            assertThat(CancellableTestSupport.failureOf(result)).isInstanceOf(TaskTimeoutException.class);
            assertThat(CancellableTestSupport.isVirtual(probe.thread.get())).as("body ran on a virtual thread")
                    .isTrue();
            CancellationToken token = probe.token.get();
            assertThat(token.isNone()).as("the body got a token of its own").isFalse();
            assertThat(probe.current.get()).as("the token is current in the body").isSameAs(token);
            assertThat(token.reason()).get().extracting(CancellationReason::isTimeout).isEqualTo(true);
            // the caller's future fails at the timeout; the body notices it on its own thread, a moment later
            Awaitility.await("the body's Cancellation.sleep saw the timeout").atMost(PROMPTLY)
                    .untilTrue(probe.sawTimeout);
            CancellableTestSupport.awaitEmpty(registry);
            assertThat(registry.history()).first().satisfies(info -> {
                assertThat(info.name()).isEqualTo("vt.timesOut");
                assertThat(info.reason().isTimeout()).isTrue();
            });
        });
    }

    @Test
    void blockedAsyncBodyOnAVirtualThreadIsInterruptedAfterItsGraceAndNotLeftInterrupted() {
        runner.run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            CompletableFuture<String> result = jobs.blocks();
            assertThat(probe.blocking.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            TaskInfo task = Awaitility.await().atMost(PROMPTLY).until(() -> {
                List<TaskInfo> tasks = registry.list("vt.blocks", TaskState.RUNNING);
                return (tasks.size() == 1 && tasks.get(0).thread() != null) ? tasks.get(0) : null;
            }, info -> info != null);
            Thread thread = probe.thread.get();
            assertThat(CancellableTestSupport.isVirtual(thread)).as("body runs on a virtual thread").isTrue();

            registry.cancel(task.id(), CancellationReason.requested("test"));

            // the caller's future fails at once; the body ignores its token until the interrupt after the grace
            assertThat(CancellableTestSupport.failureOf(result)).isInstanceOf(TaskCancelledException.class);
            Awaitility.await("escalation interrupts the virtual thread").atMost(PROMPTLY).untilTrue(probe.interrupted);
            Awaitility.await("the virtual thread left the task").atMost(PROMPTLY)
                    .until(() -> probe.interruptedAfterTask.containsKey(thread));
            assertThat(probe.interruptedAfterTask.get(thread))
                    .as("interrupt status when the virtual thread leaves the task").isFalse();
            CancellableTestSupport.awaitEmpty(registry);
            assertThat(registry.history()).first().satisfies(info -> {
                assertThat(info.name()).isEqualTo("vt.blocks");
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
            });
        });
    }

    @Test
    void asyncBodyOnAVirtualThreadBlockedInTakeIsInterruptedByTheGracefulShutdownWithinItsBound() {
        runner.withConfiguration(AutoConfigurations.of(LifecycleAutoConfiguration.class,
                CancellationShutdownAutoConfiguration.class))
                .withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=30s",
                        "cancellation.shutdown.timeout=1s", "cancellation.shutdown.last-grace=2s")
                .run(context -> {
                    Jobs jobs = context.getBean(Jobs.class);
                    Probe probe = context.getBean(Probe.class);
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
                    jobs.takes();
                    assertThat(probe.blocking.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    assertThat(CancellableTestSupport.isVirtual(probe.thread.get())).isTrue();

                    Duration took = CancellableTestSupport.time(context::close);

                    assertThat(took).isLessThan(Duration.ofSeconds(1 + 2).plus(SLACK));
                    assertThat(probe.interrupted).as("take() was interrupted").isTrue();
                    assertThat(lifecycle.getLastReport().abandoned()).isEmpty();
                    assertThat(lifecycle.getLastReport().cancelled()).extracting(TaskInfo::name)
                            .containsExactly("vt.takes");
                    assertThat(registry.size()).isZero();
                });
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    static class AsyncApp {

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        Jobs jobs(Probe probe) {
            return new Jobs(probe);
        }

        /** Boot applies it to its executor: sees each thread after the whole task, advice included, ran. */
        @Bean
        TaskDecorator interruptStatusRecorder(Probe probe) {
            return task -> () -> {
                try {
                    task.run();
                } finally {
                    probe.interruptedAfterTask.put(Thread.currentThread(), Thread.currentThread().isInterrupted());
                }
            };
        }
    }

    static class Probe {
        final AtomicReference<Thread> thread = new AtomicReference<>();
        final AtomicReference<CancellationToken> token = new AtomicReference<>();
        final AtomicReference<CancellationToken> current = new AtomicReference<>();
        final AtomicBoolean sawTimeout = new AtomicBoolean();
        final CountDownLatch blocking = new CountDownLatch(1);
        final AtomicBoolean interrupted = new AtomicBoolean();
        final Map<Thread, Boolean> interruptedAfterTask = new ConcurrentHashMap<>();
    }

    static class Jobs {

        private final Probe probe;
        private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        Jobs(Probe probe) {
            this.probe = probe;
        }

        @Async
        @Cancellable(name = "vt.timesOut", timeout = "200ms")
        public CompletableFuture<String> timesOut(CancellationToken token) throws InterruptedException {
            probe.thread.set(Thread.currentThread());
            probe.token.set(token);
            probe.current.set(CancellationToken.current());
            try {
                while (true) {
                    Cancellation.sleep(Duration.ofMillis(50));
                }
            } catch (TaskTimeoutException ex) {
                probe.sawTimeout.set(true);
                throw ex;
            }
        }

        /**
         * Ignores its token: only the interrupt after the 100ms grace gets it out. Unlike a blocking call that
         * throws {@code InterruptedException}, {@code park} leaves the interrupt status set, so the body exits
         * interrupted and only the starter can clear the status before the thread leaves the task.
         */
        @Async
        @Cancellable(name = "vt.blocks", interruptAfter = "100ms")
        public CompletableFuture<String> blocks() {
            probe.thread.set(Thread.currentThread());
            probe.blocking.countDown();
            while (!Thread.currentThread().isInterrupted()) {
                LockSupport.park(this);
            }
            probe.interrupted.set(true);
            CancellationToken.current().throwIfCancelled();
            return CompletableFuture.completedFuture("unreachable");
        }

        /** Ignores its token and never escalates on its own: only the shutdown's interrupt gets it out. */
        @Async
        @Cancellable(name = "vt.takes", interruptAfter = "never")
        public void takes() throws InterruptedException {
            probe.thread.set(Thread.currentThread());
            probe.blocking.countDown();
            try {
                while (true) {
                    queue.take();
                }
            } catch (InterruptedException ex) {
                probe.interrupted.set(true);
                throw ex;
            }
        }
    }
}
