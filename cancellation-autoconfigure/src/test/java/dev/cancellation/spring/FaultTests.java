package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMetricsAutoConfiguration;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.context.ApplicationListener;

/**
 * Faults through the Spring layer: {@code @OnCancel} cleanups that throw, hang, ignore interrupts or find the
 * cleanup executor saturated; tasks that swallow interrupts; cancel racing normal completion; throwing
 * {@code TaskCancelledEvent} listeners. Each ends in a defined state, with a log line naming the task and a metric.
 *
 * <p>Each test runs a real {@code SpringApplication} (so that logging is initialised and captured) with its own
 * settings.
 */
@ExtendWith(OutputCaptureExtension.class)
class FaultTests {

    private final ExecutorService callers = Executors.newFixedThreadPool(4);
    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        contexts.forEach(ConfigurableApplicationContext::close);
        callers.shutdownNow();
        assertThat(callers.awaitTermination(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    }

    private ConfigurableApplicationContext start(String... properties) {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class)
                .web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off", "cancellation.interrupt-after=100ms",
                        "cancellation.abandon-after=200ms")
                .properties(properties)
                .run();
        contexts.add(context);
        return context;
    }

    // ------------------------------------------------------------------------------------------ cleanups

    @Test
    void throwingCleanupIsLoggedCountedAndTheTaskEndsCancelled(CapturedOutput output) {
        ConfigurableApplicationContext context = start();
        TaskInfo task = runAndCancel(context, "throws");

        assertFinishedCancelled(context, task);
        assertThat(output).contains("Cleanup of task " + task.id() + " (throws) failed",
                "IllegalStateException: cleanup exploded");
        assertThat(cleanupTimer(context, "throws", "failed").count()).isEqualTo(1);
        // the bean's next task is unaffected
        assertThat(context.getBean(Jobs.class).quick()).isEqualTo("ok");
    }

    @Test
    void hangingCleanupIsCancelledAtItsBoundLoggedAndCounted(CapturedOutput output) {
        ConfigurableApplicationContext context = start("cancellation.cleanup.timeout=300ms");
        Probe probe = context.getBean(Probe.class);
        TaskInfo task = runAndCancel(context, "hangs");

        assertFinishedCancelled(context, task);
        assertThat(output).contains("Cleanup of task " + task.id() + " (hangs) did not finish within PT0.3S");
        assertThat(cleanupTimer(context, "hangs", "timeout").count()).isEqualTo(1);
        // the hanging cleanup was woken (interrupted) once no longer waited for
        await(probe.hangWoken);
    }

    @Test
    void cleanupIgnoringInterruptsIsAbandonedAtItsBoundAndDoesNotBlockShutdown(CapturedOutput output) {
        ConfigurableApplicationContext context = start("cancellation.cleanup.timeout=300ms");
        Probe probe = context.getBean(Probe.class);
        try {
            TaskInfo task = runAndCancel(context, "stubborn");

            assertFinishedCancelled(context, task);
            assertThat(output).contains("Cleanup of task " + task.id() + " (stubborn) did not finish within PT0.3S");
            assertThat(cleanupTimer(context, "stubborn", "timeout").count()).isEqualTo(1);
            Awaitility.await().atMost(PROMPTLY).until(() -> probe.stubbornInterrupts.get() >= 1);

            // the cleanup thread is still stuck: closing the application is not held up by it
            long start = System.nanoTime();
            context.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PROMPTLY);
        } finally {
            probe.releaseStubborn.countDown();
        }
    }

    @Test
    void saturatedCleanupExecutorFailsExtraCleanupsAtOnceAndEveryTaskEnds(CapturedOutput output) {
        ConfigurableApplicationContext context = start("cancellation.cleanup.threads=1",
                "cancellation.cleanup.queue-capacity=1", "cancellation.cleanup.timeout=30s");
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        Probe probe = context.getBean(Probe.class);
        int count = 8;
        List<TaskInfo> cancelled = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                cancelled.add(runAndCancel(context, "many"));
                if (i == 0) {
                    await(probe.manyCleanupRunning); // the only cleanup thread is now busy
                }
            }
            // one cleanup runs, one waits in the queue; the six others were rejected and their tasks are done
            Awaitility.await().atMost(PROMPTLY).until(() -> registry.size() == 2);
            assertThat(registry.list()).extracting(TaskInfo::state).containsOnly(TaskState.CLEANING_UP);
            assertThat(cleanupTimer(context, "many", "failed").count()).isEqualTo(count - 2);
            for (TaskInfo task : cancelled.subList(2, count)) {
                assertThat(output).contains("Cleanup of task " + task.id() + " (many) rejected: the cleanup "
                        + "executor is saturated");
            }
        } finally {
            probe.releaseMany.countDown();
        }
        CancellableTestSupport.awaitQuiet(registry);
        assertThat(cleanupTimer(context, "many", "success").count()).isEqualTo(2);
        assertThat(registry.history()).filteredOn(info -> info.name().equals("many")).hasSize(count)
                .extracting(TaskInfo::state).containsOnly(TaskState.CANCELLED);
    }

    // ------------------------------------------------------------------------------------------ tasks

    @Test
    void taskSwallowingInterruptsIsAbandonedThenReturnsItsResultOnAnUninterruptedPooledThread(CapturedOutput output)
            throws Exception {
        ConfigurableApplicationContext context = start();
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        Probe probe = context.getBean(Probe.class);
        MeterRegistry meters = context.getBean(MeterRegistry.class);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<String> call = CompletableFuture.supplyAsync(
                    () -> context.getBean(Jobs.class).swallower(), pool);
            TaskInfo task = CancellableTestSupport.awaitTask(registry, "swallower");
            registry.cancel(task.id(), CancellationReason.requested("test"));

            Awaitility.await().atMost(PROMPTLY).until(() -> registry.find(task.id())
                    .map(info -> info.state() == TaskState.ABANDONED).orElse(false));
            assertThat(probe.swallowed.get()).isGreaterThanOrEqualTo(1);
            assertThat(output).contains("Task " + task.id() + " (swallower) abandoned");
            assertThat(meters.get("cancellation.tasks.abandoned").gauge().value()).isEqualTo(1.0);

            probe.releaseSwallower.countDown();
            // it completed normally despite the cancel: its result is returned
            assertThat(call).succeedsWithin(PROMPTLY).isEqualTo("late result");
            // the interrupt it re-asserted was the interceptor's own: consumed, the pooled thread is clean
            assertThat(pool.submit(() -> Thread.currentThread().isInterrupted()).get(PROMPTLY.toSeconds(),
                    TimeUnit.SECONDS)).isFalse();
            Awaitility.await().atMost(PROMPTLY).until(() -> registry.size() == 0);
            assertThat(registry.history()).first().satisfies(info -> {
                assertThat(info.id()).isEqualTo(task.id());
                assertThat(info.state()).isEqualTo(TaskState.ABANDONED);
            });
            assertThat(meters.get("cancellation.tasks.abandoned").gauge().value()).isZero();
        } finally {
            probe.releaseSwallower.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void cancelRacingCompletionEitherReturnsOrThrowsAndLeaksNothing() throws Exception {
        ConfigurableApplicationContext context = start();
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        Jobs jobs = context.getBean(Jobs.class);
        Probe probe = context.getBean(Probe.class);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Void> canceller = CompletableFuture.runAsync(() -> {
            int round = 0;
            while (!done.get()) {
                // by name, with an immediate interrupt every other round, as an operator would
                registry.cancelAll("racer", CancellationReason.requested("race"), (round++ & 1) == 0);
                Thread.yield();
            }
        }, callers);
        int iterations = 2_000;
        AtomicInteger returned = new AtomicInteger();
        AtomicInteger cancelled = new AtomicInteger();
        List<String> problems = new ArrayList<>();
        try {
            for (int i = 0; i < iterations; i++) {
                int index = i;
                String outcome = pool.submit(() -> {
                    String result;
                    try {
                        result = (jobs.racer(index) == index) ? "returned" : "wrong result";
                    } catch (TaskCancelledException ex) {
                        result = "cancelled";
                    } catch (Throwable ex) {
                        result = "unexpected " + ex;
                    }
                    // never leave the pooled thread interrupted
                    return Thread.interrupted() ? "left interrupted after " + result : result;
                }).get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
                switch (outcome) {
                    case "returned" -> returned.incrementAndGet();
                    case "cancelled" -> cancelled.incrementAndGet();
                    default -> problems.add(i + ": " + outcome);
                }
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
        assertThat(canceller).succeedsWithin(PROMPTLY);
        assertThat(problems).isEmpty();
        assertThat(returned.get() + cancelled.get()).isEqualTo(iterations);
        CancellableTestSupport.awaitQuiet(registry);
        // a cleanup ran for every call that ended cancelled, and for no other
        assertThat(probe.racerCleanups.get()).isEqualTo(cancelled.get());
    }

    @Test
    void throwingTaskCancelledEventListenersDoNotBreakCancellation(CapturedOutput output) throws Exception {
        ConfigurableApplicationContext context = start("cancellation.interrupt-after=50ms",
                "cancellation.abandon-after=10s");
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        Probe probe = context.getBean(Probe.class);
        CompletableFuture<Void> call = CompletableFuture.runAsync(() -> context.getBean(Jobs.class).listened(),
                callers);
        TaskInfo task = CancellableTestSupport.awaitTask(registry, "listened");

        // the cancel itself succeeds, although listeners throw on this very thread
        assertThat(registry.cancel(task.id(), CancellationReason.requested("test"))).isPresent();

        // escalation still happened: the blocked method was interrupted and the call ended cancelled
        assertThat(call).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                .isInstanceOf(TaskCancelledException.class);
        CancellableTestSupport.awaitQuiet(registry);
        assertThat(probe.listenedCleanups.get()).isEqualTo(1);
        assertThat(output).contains("A TaskCancelledEvent listener failed for task " + task.id() + " (listened)",
                "listener exploded");
    }

    // ------------------------------------------------------------------------------------------ support

    private TaskInfo runAndCancel(ConfigurableApplicationContext context, String name) {
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        Jobs jobs = context.getBean(Jobs.class);
        Runnable body = switch (name) { // through the proxy, so each call is a task
            case "throws" -> jobs::throwsInCleanup;
            case "hangs" -> jobs::hangsInCleanup;
            case "stubborn" -> jobs::stubbornCleanup;
            case "many" -> jobs::many;
            default -> throw new IllegalArgumentException(name);
        };
        CompletableFuture<Void> call = CompletableFuture.runAsync(body, callers);
        TaskInfo task = Awaitility.await().atMost(PROMPTLY).until(() -> registry.list(name, TaskState.RUNNING).stream()
                .findFirst().orElse(null), info -> info != null);
        registry.cancel(task.id(), CancellationReason.requested("test"));
        assertThat(call).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                .isInstanceOf(TaskCancelledException.class);
        return task;
    }

    private static void assertFinishedCancelled(ConfigurableApplicationContext context, TaskInfo task) {
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        Awaitility.await().atMost(PROMPTLY).until(() -> registry.find(task.id()).isEmpty());
        assertThat(registry.findIncludingHistory(task.id())).get().extracting(TaskInfo::state)
                .isEqualTo(TaskState.CANCELLED);
        assertThat(registry.size()).isZero();
        assertThat(registry.pendingCleanups()).isZero();
    }

    private static Timer cleanupTimer(ConfigurableApplicationContext context, String task, String outcome) {
        return context.getBean(MeterRegistry.class).get("cancellation.cleanup").tags("task", task, "outcome", outcome)
                .timer();
    }

    static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).as("latch released").isTrue();
        } catch (InterruptedException ex) {
            throw new AssertionError(ex);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class,
            CancellationMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
            SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class })
    static class App {

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        Jobs jobs(Probe probe) {
            return new Jobs(probe);
        }

        @Bean
        Listeners listeners() {
            return new Listeners();
        }
    }

    /** Latches and counters shared by the jobs and the tests (a bean of its own: proxies have no target fields). */
    static class Probe {
        final CountDownLatch hangWoken = new CountDownLatch(1);
        final CountDownLatch releaseStubborn = new CountDownLatch(1);
        final AtomicInteger stubbornInterrupts = new AtomicInteger();
        final CountDownLatch manyCleanupRunning = new CountDownLatch(1);
        final CountDownLatch releaseMany = new CountDownLatch(1);
        final CountDownLatch releaseSwallower = new CountDownLatch(1);
        final AtomicInteger swallowed = new AtomicInteger();
        final AtomicInteger racerCleanups = new AtomicInteger();
        final AtomicInteger listenedCleanups = new AtomicInteger();
    }

    /**
     * Listeners of {@code TaskCancelledEvent} that throw: a plain listener throwing an {@link Error} (which Spring
     * passes through as it is) runs first, then an {@code @EventListener} method throwing an exception.
     */
    static class Listeners implements ApplicationListener<TaskCancelledEvent>, Ordered {

        @Override
        public void onApplicationEvent(TaskCancelledEvent event) {
            if (event.getTask().name().equals("listened")) {
                throw new AssertionError("listener exploded with an error");
            }
        }

        @Override
        public int getOrder() {
            return Ordered.HIGHEST_PRECEDENCE;
        }

        @EventListener
        @Order(Ordered.LOWEST_PRECEDENCE)
        void throwException(TaskCancelledEvent event) {
            if (event.getTask().name().equals("listened")) {
                throw new IllegalStateException("listener exploded");
            }
        }
    }

    static class Jobs {

        private final Probe probe;

        Jobs(Probe probe) {
            this.probe = probe;
        }

        @Cancellable(name = "throws")
        public void throwsInCleanup() {
            spin();
        }

        @OnCancel("throws")
        void explode() {
            throw new IllegalStateException("cleanup exploded");
        }

        @Cancellable(name = "hangs")
        public void hangsInCleanup() {
            spin();
        }

        @OnCancel("hangs")
        void hang() {
            try {
                new CountDownLatch(1).await(); // forever, unless interrupted
            } catch (InterruptedException ex) {
                probe.hangWoken.countDown();
            }
        }

        @Cancellable(name = "stubborn")
        public void stubbornCleanup() {
            spin();
        }

        @OnCancel("stubborn")
        void ignoreInterrupts() {
            while (true) {
                try {
                    if (probe.releaseStubborn.await(PROMPTLY.toMillis() * 3, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException ex) {
                    probe.stubbornInterrupts.incrementAndGet(); // and carry on regardless
                }
            }
        }

        @Cancellable(name = "many")
        public void many() {
            spin();
        }

        @OnCancel("many")
        void slowCleanup() throws InterruptedException {
            probe.manyCleanupRunning.countDown();
            probe.releaseMany.await();
        }

        @Cancellable(name = "swallower")
        public String swallower() {
            while (true) {
                try {
                    if (probe.releaseSwallower.await(PROMPTLY.toMillis() * 3, TimeUnit.MILLISECONDS)) {
                        // the well-meant "restore the interrupt" of code that swallowed one
                        Thread.currentThread().interrupt();
                        return "late result";
                    }
                } catch (InterruptedException ex) {
                    probe.swallowed.incrementAndGet(); // swallowed: carries on regardless of the token
                }
            }
        }

        @Cancellable(name = "racer", interruptAfter = "0ms")
        public int racer(int index) {
            if ((index & 1) == 0) {
                CancellationToken.current().throwIfCancelled();
            }
            for (int i = 0; i < 200; i++) {
                Thread.onSpinWait();
            }
            return index;
        }

        @OnCancel("racer")
        void racerCancelled() {
            probe.racerCleanups.incrementAndGet();
        }

        @Cancellable(name = "listened")
        public void listened() {
            try {
                new CountDownLatch(1).await(); // ignores the token: only the interrupt stops it
            } catch (InterruptedException ex) {
                throw new IllegalStateException("interrupted", ex);
            }
        }

        @OnCancel("listened")
        void listenedCancelled() {
            probe.listenedCleanups.incrementAndGet();
        }

        @Cancellable
        public String quick() {
            return "ok";
        }

        private static void spin() {
            while (true) {
                CancellationToken.current().throwIfCancelled();
                Thread.onSpinWait();
            }
        }
    }
}
