package dev.cancellation.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The floors under row 8: no library at all, only the JDK, on threads from the same factory as the tasks.
 *
 * <ul>
 * <li>{@link #wake}: {@code n} threads each wait on a {@code CompletableFuture}; the futures are completed one after
 * another (as a cancel sweep wakes its tasks) and the clock stops when every thread has woken up and counted
 * down. Nothing else: no exception, no cleanup.</li>
 * <li>{@link #interruptAndCleanUp}: the least a JDK-only shutdown of the same tasks does: {@code n} threads each in
 * {@code Thread.sleep(1h)}, interrupted one after another ({@code ExecutorService.shutdownNow()}'s way); each wakes
 * with an {@code InterruptedException}, runs its cleanup (a counter, as in the harness) in a {@code finally} and
 * counts down.</li>
 * </ul>
 * A registry shutdown of {@code n} tasks cannot be faster than either on the same machine.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.cancellation.bench.ThreadWakeFloor [n] [rounds]} (platform threads
 * with 256 KiB stacks, as {@link ShutdownHarness} uses).
 */
public final class ThreadWakeFloor {

    public static void main(String[] args) throws Exception {
        int n = (args.length > 0) ? Integer.parseInt(args[0]) : 10_000;
        int rounds = (args.length > 1) ? Integer.parseInt(args[1]) : 3;
        ThreadFactory factory = ShutdownHarness.platformThreads();
        for (int round = 1; round <= rounds; round++) {
            double wake = wake(n, factory);
            double shutdown = interruptAndCleanUp(n, factory);
            System.out.printf(Locale.ROOT, "round %d: woke %d parked platform threads in %.1f ms; interrupted %d "
                    + "sleeping ones, each ran its cleanup, in %.1f ms; %d cpus%n", round, n, wake, n, shutdown,
                    Runtime.getRuntime().availableProcessors());
        }
    }

    /** Milliseconds to wake {@code n} parked threads (see the class comment). */
    static double wake(int n, ThreadFactory factory) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(n);
        CountDownLatch woken = new CountDownLatch(n);
        List<CompletableFuture<Void>> signals = new ArrayList<>(n);
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            CompletableFuture<Void> signal = new CompletableFuture<>();
            signals.add(signal);
            Thread thread = factory.newThread(() -> {
                started.countDown();
                signal.join();
                woken.countDown();
            });
            thread.start();
            threads.add(thread);
        }
        started.await();
        Thread.sleep(500); // as the harness: let the last ones reach park()
        long start = System.nanoTime();
        for (CompletableFuture<Void> signal : signals) {
            signal.complete(null);
        }
        woken.await();
        double millis = (System.nanoTime() - start) / 1e6;
        for (Thread thread : threads) {
            thread.join();
        }
        return millis;
    }

    /** Milliseconds to interrupt {@code n} sleeping threads and have each run its cleanup (see the class comment). */
    static double interruptAndCleanUp(int n, ThreadFactory factory) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(n);
        CountDownLatch cleanedUp = new CountDownLatch(n);
        AtomicInteger cleanups = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Thread thread = factory.newThread(() -> {
                started.countDown();
                try {
                    Thread.sleep(3_600_000);
                } catch (InterruptedException expected) {
                    // the shutdown
                } finally {
                    cleanups.incrementAndGet();
                    cleanedUp.countDown();
                }
            });
            thread.start();
            threads.add(thread);
        }
        started.await();
        Thread.sleep(500);
        long start = System.nanoTime();
        for (Thread thread : threads) {
            thread.interrupt();
        }
        cleanedUp.await();
        double millis = (System.nanoTime() - start) / 1e6;
        for (Thread thread : threads) {
            thread.join();
        }
        if (cleanups.get() != n) {
            throw new IllegalStateException(cleanups.get() + " cleanups ran, expected " + n);
        }
        return millis;
    }

    private ThreadWakeFloor() {
    }
}
