package dev.cancellation.bench;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Row 4, taken apart: what a synchronous {@code @Cancellable} call costs below Spring's proxy, layer by layer, so
 * that row 4's figure can be read against its parts. {@code clock_nanoTime} is the one clock reading every timed
 * call makes (ours and every baseline's timer alike); {@code source_*} is the token a task gets, with the frame's
 * kind of observer; {@code registry_*} is {@code TaskRegistry.begin}/{@code end}, which the interceptor calls
 * around the method.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallCostBreakdownBenchmark {

    private static final Consumer<CancellationReason> OBSERVER = reason -> { };
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private TaskRegistry registry;
    private TaskSpec untimed;
    private TaskSpec timed;

    @Setup
    public void setUp() {
        registry = new TaskRegistry();
        untimed = new TaskSpec("bench", CancellationToken.none(), null, null, Duration.ZERO, null);
        timed = new TaskSpec("bench", CancellationToken.none(), TIMEOUT, null, Duration.ZERO, null);
    }

    @TearDown
    public void tearDown() {
        registry.close();
    }

    @Benchmark
    public long clock_nanoTime() {
        return System.nanoTime();
    }

    @Benchmark
    public CancellationToken source_childOfClose() {
        CancellationSource source = CancellationSource.childOf(CancellationToken.none(), null, System.nanoTime(),
                OBSERVER);
        source.close();
        return source.token();
    }

    @Benchmark
    public CancellationToken source_childOfTimeoutClose() {
        CancellationSource source = CancellationSource.childOf(CancellationToken.none(), TIMEOUT, System.nanoTime(),
                OBSERVER);
        source.close();
        return source.token();
    }

    @Benchmark
    public Throwable registry_beginEnd() {
        return registry.end(registry.begin(untimed), null);
    }

    @Benchmark
    public Throwable registry_beginEndTimeout() {
        return registry.end(registry.begin(timed), null);
    }
}
