package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.InterruptScope;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;

/**
 * Row 6: cancellation latency, from the call to {@code cancel()} to the waiting thread running again, measured
 * one sample at a time with a custom harness (JMH has no mode for a cross-thread wake-up).
 *
 * <p>Each scenario owns one waiter thread. A round: the driver hands the waiter a fresh token, waits until the
 * waiter is parked ({@code Thread.State} WAITING/TIMED_WAITING, plus a short spin so that it is really inside
 * {@code park}), records {@code t0 = nanoTime()} and cancels (or interrupts, for the baseline); the waiter records
 * {@code t1 = nanoTime()} as soon as it observes the cancellation and reports {@code t1 - t0}. Scenarios are
 * interleaved round by round, so that load from other processes hits them alike. The first {@code warmup}
 * rounds are dropped; percentiles are exact (sorted samples).
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.cancellation.bench.LatencyHarness [rounds] [warmup] [out.txt]}
 */
public final class LatencyHarness {

    private interface Waiter {
        /** Blocks until {@code token} is cancelled (or the thread interrupted, for the baseline). */
        void await(CancellationToken token) throws Exception;
    }

    private static final class Scenario {
        final String name;
        final boolean interruptInsteadOfCancel;
        final Waiter waiter;
        final SynchronousQueue<CancellationToken> handoff = new SynchronousQueue<>();
        final SynchronousQueue<Long> results = new SynchronousQueue<>();
        volatile long t0;
        long[] samples;
        Thread thread;

        Scenario(String name, boolean interruptInsteadOfCancel, Waiter waiter) {
            this.name = name;
            this.interruptInsteadOfCancel = interruptInsteadOfCancel;
            this.waiter = waiter;
        }

        void start() {
            thread = new Thread(() -> {
                try {
                    while (true) {
                        CancellationToken token = handoff.take();
                        long observed;
                        try {
                            waiter.await(token);
                            observed = System.nanoTime();
                        } catch (Exception woken) {
                            observed = System.nanoTime();
                        }
                        Thread.interrupted(); // leave no interrupt for the next round's handoff
                        results.put(observed - t0);
                    }
                } catch (InterruptedException stop) {
                    // harness finished
                }
            }, "latency-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        long round() throws InterruptedException {
            CancellationSource source = CancellationSource.create();
            handoff.put(source.token());
            awaitParked(thread);
            t0 = System.nanoTime();
            if (interruptInsteadOfCancel) {
                thread.interrupt();
            } else {
                source.cancel();
            }
            long latency = results.take();
            source.close();
            return latency;
        }
    }

    private static void awaitParked(Thread thread) {
        while (true) {
            Thread.State state = thread.getState();
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
                break;
            }
            Thread.onSpinWait();
        }
        long until = System.nanoTime() + 20_000; // the state is set just before park(): let it get there
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 20_000;
        int warmup = (args.length > 1) ? Integer.parseInt(args[1]) : 5_000;
        Path out = (args.length > 2) ? Path.of(args[2]) : null;

        List<Scenario> scenarios = new ArrayList<>();
        scenarios.add(new Scenario("baseline: Thread.interrupt -> BlockingQueue.take()", true, token -> {
            BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
            queue.take();
        }));
        scenarios.add(new Scenario("Cancellation.sleep(1h, token)", false,
                token -> Cancellation.sleep(Duration.ofHours(1), token)));
        scenarios.add(new Scenario("whenCancelled().toCompletableFuture().join()", false,
                token -> token.whenCancelled().toCompletableFuture().join()));
        scenarios.add(new Scenario("interruptOnCancel + BlockingQueue.take()", false, token -> {
            BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
            try (InterruptScope ignored = Cancellation.interruptOnCancel(token)) {
                queue.take();
            }
        }));
        for (Scenario scenario : scenarios) {
            scenario.samples = new long[rounds];
            scenario.start();
        }
        for (int i = 0; i < warmup + rounds; i++) {
            for (Scenario scenario : scenarios) {
                long latency = scenario.round();
                if (i >= warmup) {
                    scenario.samples[i - warmup] = latency;
                }
            }
        }
        StringBuilder report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "Cancellation latency, %d rounds after %d warm-up, JDK %s, %d cpus%n",
                rounds, warmup, Runtime.version(), Runtime.getRuntime().availableProcessors()));
        report.append(String.format(Locale.ROOT, "%-48s %9s %9s %9s %9s %9s %9s %12s%n", "scenario", "p50 us",
                "p90 us", "p99 us", "p99.9 us", "max us", "mean us", "p99/base"));
        double baseP99 = -1;
        for (Scenario scenario : scenarios) {
            long[] s = scenario.samples.clone();
            Arrays.sort(s);
            double p99 = pct(s, 0.99);
            if (baseP99 < 0) {
                baseP99 = p99;
            }
            report.append(String.format(Locale.ROOT, "%-48s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %11.2fx%n",
                    scenario.name, pct(s, 0.50), pct(s, 0.90), p99, pct(s, 0.999), s[s.length - 1] / 1000.0,
                    Arrays.stream(s).average().orElse(0) / 1000.0, p99 / baseP99));
        }
        PrintStream console = System.out;
        console.print(report);
        if (out != null) {
            Files.writeString(out, report.toString());
        }
        for (Scenario scenario : scenarios) {
            scenario.thread.interrupt();
        }
    }

    private static double pct(long[] sorted, double q) {
        int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1000.0;
    }

    private LatencyHarness() {
    }

}
