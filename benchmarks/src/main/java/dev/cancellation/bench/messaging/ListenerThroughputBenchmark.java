package dev.cancellation.bench.messaging;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The per-message cost of a messaging edge, side by side in one run: the same listener (reads its token, counts the
 * message: {@link Throughput#count}) in two applications on the same embedded broker, both up at once,
 * {@code withoutEdge} with the edge's {@code enabled} property {@code false} and {@code withEdge} with it on. An
 * operation is one message ({@link Throughput#sendAndAwait}); the ratio of the two throughputs is the edge's
 * overhead per message, and {@code -prof gc}'s {@code gc.alloc.rate.norm} its bytes per message (the broker runs
 * in the same JVM: its allocations are in both rows alike).
 *
 * <p>A broker's row extends this with {@link #start}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public abstract class ListenerThroughputBenchmark {

    private final Throughput withEdgeCount = new Throughput();
    private final Throughput withoutEdgeCount = new Throughput();
    private ListenerApplication withEdge;
    private ListenerApplication withoutEdge;

    /** Starts an application whose listener counts into {@code count}, with the edge on or off. */
    protected abstract ListenerApplication start(boolean edge, Throughput count) throws Exception;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        withoutEdge = start(false, withoutEdgeCount);
        try {
            withEdge = start(true, withEdgeCount);
        } catch (Exception ex) {
            withoutEdge.close();
            throw ex;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try {
            withEdge.close();
        } finally {
            withoutEdge.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(Throughput.BATCH)
    public void withoutEdge() throws Exception {
        withoutEdgeCount.sendAndAwait(withoutEdge);
    }

    @Benchmark
    @OperationsPerInvocation(Throughput.BATCH)
    public void withEdge() throws Exception {
        withEdgeCount.sendAndAwait(withEdge);
    }
}
