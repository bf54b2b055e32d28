package dev.cancellation.bench;

import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import io.grpc.Context;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Row 5: throughput of timed work from 1 and 2 threads, i.e. contention on the timer: every operation arms a
 * deadline (distinct per operation, 10 s plus a counter in microseconds, so that timers are not coalesced and
 * never fire) and disarms it.
 *
 * <ul>
 *   <li>{@code ours_withTimeoutClose}: {@code CancellationSource.withTimeout(d)} + {@code close()}.</li>
 *   <li>{@code ours_registryRun}: {@code TaskRegistry.run(name, d, work)}: a registered task with a timeout, run
 *       on the calling thread (start, attach, exit, removal).</li>
 *   <li>{@code ours_registryCall}: {@code TaskRegistry.call(spec, body)} with a timeout, no interrupt
 *       escalation.</li>
 *   <li>{@code baseline_stpeScheduleCancel}: the floor: {@code schedule} + {@code cancel} on a shared
 *       {@code ScheduledThreadPoolExecutor} with remove-on-cancel (what the library's timer is).</li>
 *   <li>{@code baseline_grpcWithDeadlineAfter}: {@code Context.ROOT.withDeadlineAfter(d, scheduler)} +
 *       {@code cancel} on a shared gRPC-style scheduler.</li>
 * </ul>
 * Results are in ops/us per benchmark (all threads together): the 2-thread figure over the 1-thread one is the
 * scaling.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TimedTaskBenchmark {

    private TaskRegistry registry;
    private ScheduledThreadPoolExecutor scheduler;

    @Setup
    public void setUp() {
        registry = new TaskRegistry();
        scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "bench-scheduler");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
    }

    @TearDown
    public void tearDown() {
        registry.close();
        scheduler.shutdownNow();
    }

    /** Per-thread deadline counter: distinct deadlines without shared state. */
    @State(Scope.Thread)
    public static class Deadlines {
        private long counter;

        long nextMicros() {
            counter = (counter + 1) & 0xFFFFF; // ~1 s spread
            return 10_000_000L + counter;
        }

        Duration next() {
            return Duration.ofNanos(nextMicros() * 1000);
        }
    }

    private static final Runnable NOOP = () -> { };
    private static final TaskRegistry.TaskBody<Integer> BODY = token -> 1;

    // ------------------------------------------------------------------ 1 thread

    @Benchmark
    @Threads(1)
    public CancellationToken ours_withTimeoutClose_1t(Deadlines deadlines) {
        return withTimeoutClose(deadlines);
    }

    @Benchmark
    @Threads(1)
    public Integer ours_registryRun_1t(Deadlines deadlines) {
        return registry.run("bench", deadlines.next(), token -> 1);
    }

    /** For reference: the same registered task without a timeout (no timer involved). */
    @Benchmark
    @Threads(1)
    public Integer ours_registryRun_noTimeout_1t() {
        return registry.run("bench", null, token -> 1);
    }

    @Benchmark
    @Threads(1)
    public Integer ours_registryCall_1t(Deadlines deadlines) throws Throwable {
        return registryCall(deadlines);
    }

    @Benchmark
    @Threads(1)
    public boolean baseline_stpeScheduleCancel_1t(Deadlines deadlines) {
        return stpe(deadlines);
    }

    @Benchmark
    @Threads(1)
    public boolean baseline_grpcWithDeadlineAfter_1t(Deadlines deadlines) {
        return grpc(deadlines);
    }

    // ------------------------------------------------------------------ 2 threads

    @Benchmark
    @Threads(2)
    public CancellationToken ours_withTimeoutClose_2t(Deadlines deadlines) {
        return withTimeoutClose(deadlines);
    }

    @Benchmark
    @Threads(2)
    public Integer ours_registryRun_2t(Deadlines deadlines) {
        return registry.run("bench", deadlines.next(), token -> 1);
    }

    @Benchmark
    @Threads(2)
    public Integer ours_registryCall_2t(Deadlines deadlines) throws Throwable {
        return registryCall(deadlines);
    }

    @Benchmark
    @Threads(2)
    public boolean baseline_stpeScheduleCancel_2t(Deadlines deadlines) {
        return stpe(deadlines);
    }

    @Benchmark
    @Threads(2)
    public boolean baseline_grpcWithDeadlineAfter_2t(Deadlines deadlines) {
        return grpc(deadlines);
    }

    // ------------------------------------------------------------------ bodies

    private static CancellationToken withTimeoutClose(Deadlines deadlines) {
        CancellationSource source = CancellationSource.withTimeout(deadlines.next());
        source.close();
        return source.token();
    }

    private Integer registryCall(Deadlines deadlines) throws Throwable {
        TaskSpec spec = new TaskSpec("bench", CancellationToken.none(), deadlines.next(), null, Duration.ZERO, null);
        return registry.call(spec, BODY);
    }

    private boolean stpe(Deadlines deadlines) {
        ScheduledFuture<?> future = scheduler.schedule(NOOP, deadlines.nextMicros(), TimeUnit.MICROSECONDS);
        return future.cancel(false);
    }

    private boolean grpc(Deadlines deadlines) {
        Context.CancellableContext context = Context.ROOT.withDeadlineAfter(deadlines.nextMicros(),
                TimeUnit.MICROSECONDS, scheduler);
        return context.cancel(null);
    }
}
