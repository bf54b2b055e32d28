package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import dev.cancellation.task.CleanupAction;
import dev.cancellation.task.ShutdownReport;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Row 8: wall time of {@code TaskRegistry.shutdown(...)} with 10,000 running tasks, each with a cleanup.
 *
 * <p>Every task is real: a thread runs {@code registry.call(spec, token -> Cancellation.sleep(1h))}, attached,
 * with the interrupt grace and cleanup a {@code @Cancellable} method with {@code @OnCancel} would have. On Java
 * 21+ the tasks run on virtual threads; on older JDKs (or with {@code platform}) on platform threads, one per task.
 * Once all are parked, the clock starts and {@code shutdown(drain 0, timeout 30s, interrupt, lastGrace 1s)}
 * cancels them all, waits for them to exit and for their 10,000 cleanups (a trivial cleanup that counts) to run.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.cancellation.bench.ShutdownHarness [tasks] [virtual|platform]
 * [cleanupQueueCapacity|default] [out]}
 */
public final class ShutdownHarness {

    public static void main(String[] args) throws Exception {
        int tasks = (args.length > 0) ? Integer.parseInt(args[0]) : 10_000;
        String mode = (args.length > 1) ? args[1] : (virtualThreads() != null ? "virtual" : "platform");
        String queue = (args.length > 2) ? args[2] : "default";
        Path out = (args.length > 3) ? Path.of(args[3]) : null;

        TaskRegistry.Settings defaults = TaskRegistry.Settings.defaults();
        TaskRegistry.Settings settings = queue.equals("default") ? defaults
                : new TaskRegistry.Settings(defaults.historySize(), defaults.cleanupThreads(),
                        Integer.parseInt(queue), defaults.cleanupTimeout());
        TaskRegistry registry = new TaskRegistry(settings);
        AtomicInteger cleanups = new AtomicInteger();
        CleanupAction cleanup = (task, reason, token) -> {
            cleanups.incrementAndGet();
            return null;
        };
        TaskSpec spec = new TaskSpec("shutdown-bench", CancellationToken.none(), null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), cleanup);

        ThreadFactory factory = mode.equals("virtual") ? virtualThreads() : runnable -> {
            Thread thread = new Thread(null, runnable, "task", 256 * 1024);
            thread.setDaemon(true);
            return thread;
        };
        if (factory == null) {
            throw new IllegalStateException("virtual threads need Java 21+, running " + Runtime.version());
        }
        CountDownLatch started = new CountDownLatch(tasks);
        CountDownLatch finished = new CountDownLatch(tasks);
        List<Thread> threads = new ArrayList<>(tasks);
        long startBegin = System.nanoTime();
        for (int i = 0; i < tasks; i++) {
            Thread thread = factory.newThread(() -> {
                try {
                    registry.call(spec, token -> {
                        started.countDown();
                        Cancellation.sleep(Duration.ofHours(1));
                        return null;
                    });
                } catch (Throwable expected) {
                    // cancelled by the shutdown
                } finally {
                    finished.countDown();
                }
            });
            threads.add(thread);
            thread.start();
        }
        if (!started.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("tasks did not start: " + started.getCount() + " missing");
        }
        long startedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startBegin);
        Thread.sleep(500); // let the last ones reach park()

        long t0 = System.nanoTime();
        ShutdownReport report = registry.shutdown(Duration.ZERO, Duration.ofSeconds(30), true, Duration.ofSeconds(1));
        long shutdownNanos = System.nanoTime() - t0;
        boolean allExited = finished.await(60, TimeUnit.SECONDS);
        long allExitedNanos = System.nanoTime() - t0;

        String text = String.format(Locale.ROOT,
                "Shutdown of %d running tasks with cleanups: JDK %s, %s threads, cleanup queue %s, %d cpus%n"
                        + "  tasks started and parked in %d ms%n"
                        + "  registry.shutdown(...) returned after %.1f ms (report.took %d ms)%n"
                        + "  all task threads exited after %.1f ms (%s)%n"
                        + "  report: runningAtStart=%d cancelled=%d cleanupsSucceeded=%d cleanupsFailed=%d "
                        + "cleanupsTimedOut=%d abandoned=%d remaining=%d; cleanups run=%d%n",
                tasks, Runtime.version(), mode, queue.equals("default") ? "default " + defaults.cleanupQueueCapacity()
                        : queue, Runtime.getRuntime().availableProcessors(), startedMillis, shutdownNanos / 1e6,
                report.took().toMillis(), allExitedNanos / 1e6, allExited ? "all" : finished.getCount() + " left",
                report.runningAtStart(), report.cancelled().size(), report.cleanupsSucceeded(),
                report.cleanupsFailed(), report.cleanupsTimedOut(), report.abandoned().size(), report.remaining(),
                cleanups.get());
        System.out.print(text);
        if (out != null) {
            Files.writeString(out, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        System.exit(0);
    }

    /** {@code Thread.ofVirtual().factory()} on Java 21+, {@code null} before (compiled for Java 17). */
    private static ThreadFactory virtualThreads() {
        try {
            Method ofVirtual = Thread.class.getMethod("ofVirtual");
            Object builder = ofVirtual.invoke(null);
            Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
            return (ThreadFactory) factory.invoke(builder);
        } catch (ReflectiveOperationException | RuntimeException unavailable) {
            return null;
        }
    }

    private ShutdownHarness() {
    }
}
