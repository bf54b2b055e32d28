package dev.cancellation.bench;

import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import io.grpc.Context;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Row 1: polling a live token, the cost a tight loop pays per checkpoint, against the two things a hand-rolled
 * cancellation flag would be. Each returns the value so that the read cannot be eliminated; the token's field is
 * volatile, so the JIT cannot hoist the read out of JMH's loop either (same for the baselines).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IsCancelledBenchmark {

    private CancellationSource source;
    private CancellationToken token;
    private CancellationToken child;
    private volatile boolean flag;
    private AtomicBoolean atomic;
    private Context.CancellableContext grpcChild;

    @Setup
    public void setUp() {
        source = CancellationSource.create();
        token = source.token();
        child = CancellationSource.childOf(token).token();
        atomic = new AtomicBoolean();
        grpcChild = Context.ROOT.withCancellation().withCancellation();
    }

    @Benchmark
    public boolean tokenIsCancelled() {
        return token.isCancelled();
    }

    /** A child token costs the same: the check never walks up the tree. */
    @Benchmark
    public boolean childTokenIsCancelled() {
        return child.isCancelled();
    }

    @Benchmark
    public boolean baselineVolatileBoolean() {
        return flag;
    }

    @Benchmark
    public boolean baselineAtomicBooleanGet() {
        return atomic.get();
    }

    /** For reference: gRPC's check on a child context also asks its ancestors (links are lazy). */
    @Benchmark
    public boolean grpcChildContextIsCancelled() {
        return grpcChild.isCancelled();
    }
}
