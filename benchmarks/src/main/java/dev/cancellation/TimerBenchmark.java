package dev.cancellation;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Row 5, the timer alone: arm and disarm one entry on the shared timer (what every deadline costs beneath
 * {@code CancellationSource}), with the same distinct 10-11 s deadlines as {@code TimedTaskBenchmark}, whose
 * {@code baseline_stpeScheduleCancel_*} rows are the comparison. In package {@code dev.cancellation} because the
 * timer is package-private.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TimerBenchmark {

    private static final Runnable NOOP = () -> { };

    /** Per-thread deadline counter: distinct deadlines without shared state. */
    @State(Scope.Thread)
    public static class Deadlines {
        private long counter;

        long nextNanos() {
            counter = (counter + 1) & 0xFFFFF; // ~1 s spread
            return (10_000_000L + counter) * 1000;
        }
    }

    private static boolean armCancel(Deadlines deadlines) {
        Timer.Task task = new Timer.Task(Timer.SHARED, TimerClock.deadlineAfter(deadlines.nextNanos()), NOOP);
        Timer.SHARED.arm(task);
        return task.cancel();
    }

    @Benchmark
    @Threads(1)
    public boolean ours_timerArmCancel_1t(Deadlines deadlines) {
        return armCancel(deadlines);
    }

    @Benchmark
    @Threads(2)
    public boolean ours_timerArmCancel_2t(Deadlines deadlines) {
        return armCancel(deadlines);
    }
}
