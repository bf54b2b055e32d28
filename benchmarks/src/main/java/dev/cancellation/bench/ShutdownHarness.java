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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Row 8: wall time of {@code TaskRegistry.shutdown(...)} with 10,000 running tasks, each with a cleanup, side by
 * side with the JDK-only floors of {@link ThreadWakeFloor} in the same JVM.
 *
 * <p>Every task is real: a thread runs {@code registry.call(spec, token -> Cancellation.sleep(1h))}, attached,
 * with the interrupt grace and cleanup a {@code @Cancellable} method with {@code @OnCancel} would have. On Java
 * 21+ the tasks run on virtual threads; on older JDKs (or with {@code platform}) on platform threads, one per task.
 * Once all are parked, the clock starts and {@code shutdown(drain 0, timeout 30s, interrupt, lastGrace 1s)}
 * cancels them all, waits for them to exit and for their 10,000 cleanups (a trivial cleanup that counts) to run.
 *
 * <p>Each round measures a fresh registry with fresh threads, then both floors with fresh threads from the same
 * thread factory, so that the ratio compares runs made seconds apart under the same load. Round 1 also pays for
 * the JIT compiling the shutdown path; the summary gives it apart and the median of the later rounds.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.cancellation.bench.ShutdownHarness [tasks] [virtual|platform]
 * [cleanupQueueCapacity|default] [out|-] [rounds]} (rounds default 5)
 */
public final class ShutdownHarness {

    public static void main(String[] args) throws Exception {
        int tasks = (args.length > 0) ? Integer.parseInt(args[0]) : 10_000;
        String mode = (args.length > 1) ? args[1] : (virtualThreads() != null ? "virtual" : "platform");
        String queue = (args.length > 2) ? args[2] : "default";
        Path out = (args.length > 3 && !args[3].equals("-")) ? Path.of(args[3]) : null;
        int rounds = (args.length > 4) ? Integer.parseInt(args[4]) : 5;

        TaskRegistry.Settings defaults = TaskRegistry.Settings.defaults();
        TaskRegistry.Settings settings = queue.equals("default") ? defaults
                : new TaskRegistry.Settings(defaults.historySize(), defaults.cleanupThreads(),
                        Integer.parseInt(queue), defaults.cleanupTimeout());
        ThreadFactory factory = mode.equals("virtual") ? virtualThreads() : platformThreads();
        if (factory == null) {
            throw new IllegalStateException("virtual threads need Java 21+, running " + Runtime.version());
        }
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "Shutdown of %d running tasks with cleanups: JDK %s, %s threads, cleanup queue %s, %d cpus, %d rounds"
                        + "%n", tasks, Runtime.version(), mode, queue.equals("default") ? "default "
                        + defaults.cleanupQueueCapacity() : queue, Runtime.getRuntime().availableProcessors(), rounds));
        System.out.print(text);
        double[] ours = new double[rounds];
        double[] wakeFloor = new double[rounds];
        double[] shutdownFloor = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            String line = String.format(Locale.ROOT, "round %d: load average %s%n", round + 1, loadAverage());
            line += "  " + shutdownOnce(tasks, settings, factory, ours, round);
            wakeFloor[round] = ThreadWakeFloor.wake(tasks, factory);
            shutdownFloor[round] = ThreadWakeFloor.interruptAndCleanUp(tasks, factory);
            line += String.format(Locale.ROOT, "  JDK-only floors: wake %.1f ms, interrupt + cleanup %.1f ms; "
                    + "ours / floors: %.2fx, %.2fx%n", wakeFloor[round], shutdownFloor[round],
                    ours[round] / wakeFloor[round], ours[round] / shutdownFloor[round]);
            System.out.print(line);
            text.append(line);
        }
        String summary = String.format(Locale.ROOT, "summary: round 1 (cold JIT) ours %.1f ms, floors %.1f / %.1f ms"
                + "%n", ours[0], wakeFloor[0], shutdownFloor[0]);
        if (rounds > 1) {
            double medianOurs = medianAfterFirst(ours);
            double medianWake = medianAfterFirst(wakeFloor);
            double medianShutdown = medianAfterFirst(shutdownFloor);
            summary += String.format(Locale.ROOT, "summary: rounds 2-%d median ours %.1f ms, wake floor %.1f ms "
                    + "(%.2fx), interrupt + cleanup floor %.1f ms (%.2fx); load average %s%n", rounds, medianOurs,
                    medianWake, medianOurs / medianWake, medianShutdown, medianOurs / medianShutdown, loadAverage());
        }
        System.out.print(summary);
        text.append(summary);
        if (out != null) {
            Files.writeString(out, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        System.exit(0);
    }

    /** One shutdown of a fresh registry; stores its wall time in {@code ours[round]} and describes it. */
    private static String shutdownOnce(int tasks, TaskRegistry.Settings settings, ThreadFactory factory,
            double[] ours, int round) throws Exception {
        TaskRegistry registry = new TaskRegistry(settings);
        AtomicInteger cleanups = new AtomicInteger();
        CleanupAction cleanup = (task, reason, token) -> {
            cleanups.incrementAndGet();
            return null;
        };
        TaskSpec spec = new TaskSpec("shutdown-bench", CancellationToken.none(), null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), cleanup);
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
        for (Thread thread : threads) {
            thread.join();
        }
        ours[round] = shutdownNanos / 1e6;
        return String.format(Locale.ROOT, "registry.shutdown(...) returned after %.1f ms (report.took %d ms); tasks "
                        + "started and parked in %d ms; all task threads exited after %.1f ms (%s)%n"
                        + "  report: runningAtStart=%d cancelled=%d cleanupsSucceeded=%d cleanupsFailed=%d "
                        + "cleanupsTimedOut=%d abandoned=%d remaining=%d; cleanups run=%d%n",
                shutdownNanos / 1e6, report.took().toMillis(), startedMillis, allExitedNanos / 1e6,
                allExited ? "all" : finished.getCount() + " left", report.runningAtStart(), report.cancelled().size(),
                report.cleanupsSucceeded(), report.cleanupsFailed(), report.cleanupsTimedOut(),
                report.abandoned().size(), report.remaining(), cleanups.get());
    }

    /** Daemon platform threads with 256 KiB stacks: the tasks' threads and the floors'. */
    static ThreadFactory platformThreads() {
        return runnable -> {
            Thread thread = new Thread(null, runnable, "task", 256 * 1024);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The median of rounds 2 and later: the first round is warm-up. */
    static double medianAfterFirst(double[] values) {
        double[] later = Arrays.copyOfRange(values, 1, values.length);
        Arrays.sort(later);
        int middle = later.length / 2;
        return (later.length % 2 == 1) ? later[middle] : (later[middle - 1] + later[middle]) / 2;
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException | RuntimeException unavailable) {
            return "n/a";
        }
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
