package dev.cancellation.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The floor under row 8 with platform threads: no library at all, only the JDK. Starts {@code n} platform threads
 * that each wait on a {@code CompletableFuture}, then completes the futures one after another (as a cancel sweep
 * wakes its tasks) and measures until every thread has woken up and counted down. A registry shutdown of {@code n}
 * tasks on platform threads cannot be faster than this on the same machine.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.cancellation.bench.ThreadWakeFloor [n] [rounds]}
 */
public final class ThreadWakeFloor {

    public static void main(String[] args) throws Exception {
        int n = (args.length > 0) ? Integer.parseInt(args[0]) : 10_000;
        int rounds = (args.length > 1) ? Integer.parseInt(args[1]) : 3;
        for (int round = 1; round <= rounds; round++) {
            CountDownLatch started = new CountDownLatch(n);
            CountDownLatch woken = new CountDownLatch(n);
            List<CompletableFuture<Void>> signals = new ArrayList<>(n);
            List<Thread> threads = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                CompletableFuture<Void> signal = new CompletableFuture<>();
                signals.add(signal);
                Thread thread = new Thread(() -> {
                    started.countDown();
                    signal.join();
                    woken.countDown();
                }, "floor-" + i);
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
            started.await();
            long start = System.nanoTime();
            for (CompletableFuture<Void> signal : signals) {
                signal.complete(null);
            }
            woken.await();
            double millis = (System.nanoTime() - start) / 1e6;
            System.out.printf(Locale.ROOT, "round %d: woke %d parked platform threads (each counts down once) in "
                    + "%.1f ms, %d cpus%n", round, n, millis, Runtime.getRuntime().availableProcessors());
            for (Thread thread : threads) {
                thread.join();
            }
        }
    }
}
