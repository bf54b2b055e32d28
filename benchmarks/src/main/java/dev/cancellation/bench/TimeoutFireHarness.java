package dev.cancellation.bench;

import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Row 5 (fire path): what it costs that a timeout's callbacks run on the callback pool instead of the timer
 * thread. Each round arms a 2 ms timeout on a fresh source and measures, from the moment the timeout was armed:
 * <ul>
 *   <li>{@code marked}: when the token reads as cancelled (a spinning observer; the timer marks it inline, as it
 *       always did), and</li>
 *   <li>{@code callback}: when an {@code onCancel} callback of the same token runs (handed to the pool).</li>
 * </ul>
 * {@code callback - marked} per round is the hand-off to the pool. Exact percentiles over the rounds after the
 * warm-up.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.cancellation.bench.TimeoutFireHarness [rounds] [warmup] [out.txt]}
 */
public final class TimeoutFireHarness {

    private TimeoutFireHarness() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        long[] marked = new long[rounds];
        long[] callback = new long[rounds];
        long[] handoff = new long[rounds];
        for (int round = 0; round < warmup + rounds; round++) {
            try (CancellationSource source = CancellationSource.create()) {
                CancellationToken token = source.token();
                AtomicLong ranAt = new AtomicLong();
                CountDownLatch ran = new CountDownLatch(1);
                token.onCancel(reason -> {
                    ranAt.set(System.nanoTime());
                    ran.countDown();
                });
                long armedAt = System.nanoTime();
                source.cancelAfter(Duration.ofMillis(2));
                while (!token.isCancelled()) {
                    Thread.onSpinWait();
                }
                long markedAt = System.nanoTime();
                if (!ran.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("callback did not run");
                }
                if (round >= warmup) {
                    int i = round - warmup;
                    marked[i] = markedAt - armedAt;
                    callback[i] = ranAt.get() - armedAt;
                    handoff[i] = ranAt.get() - markedAt;
                }
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "TimeoutFireHarness: %d rounds after %d warm-up, 2 ms timeouts, %s %s%n",
                rounds, warmup, System.getProperty("java.vm.name"), System.getProperty("java.version")));
        out.append(line("armed -> token marked cancelled (timer thread, inline)", marked));
        out.append(line("armed -> onCancel callback ran (callback pool)", callback));
        out.append(line("marked -> callback ran (the hand-off)", handoff));
        System.out.print(out);
        if (args.length > 2) {
            Files.writeString(Path.of(args[2]), out);
        }
        try (PrintStream ignored = System.out) {
            // flush
        }
    }

    private static String line(String what, long[] samples) {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "  %-56s p50 %8.1f us  p99 %8.1f us  max %8.1f us%n", what,
                sorted[sorted.length / 2] / 1e3, sorted[(int) (sorted.length * 0.99)] / 1e3,
                sorted[sorted.length - 1] / 1e3);
    }
}
