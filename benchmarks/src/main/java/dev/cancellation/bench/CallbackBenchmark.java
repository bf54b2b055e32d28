package dev.cancellation.bench;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import io.grpc.Context;
import java.util.concurrent.Executor;
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
 * Row 3: register a callback on a live token and deregister it ({@code onCancel(cb).close()}), the pattern of
 * every cancellable wait. The callback is a preallocated constant, so the only allocation left is the
 * registration itself; run with {@code -prof gc} to see B/op. Baseline: gRPC's
 * {@code addListener}/{@code removeListener} on a cancellable context.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallbackBenchmark {

    private static final Consumer<CancellationReason> CALLBACK = reason -> { };
    private static final Executor DIRECT = Runnable::run;
    private static final Context.CancellationListener LISTENER = context -> { };

    private CancellationSource source;
    private CancellationToken token;
    private CancellationSource childSource;
    private CancellationToken childToken;
    private Context.CancellableContext grpcContext;

    @Setup
    public void setUp() {
        source = CancellationSource.create();
        token = source.token();
        childSource = CancellationSource.childOf(token);
        childToken = childSource.token();
        grpcContext = Context.ROOT.withCancellation();
    }

    @TearDown
    public void tearDown() {
        source.cancel();
        grpcContext.cancel(null);
    }

    @Benchmark
    public boolean ours_onCancelClose() {
        return token.onCancel(CALLBACK).unregister();
    }

    /** On a child token: the same, the parent is not involved. */
    @Benchmark
    public boolean ours_onCancelClose_childToken() {
        return childToken.onCancel(CALLBACK).unregister();
    }

    @Benchmark
    public Context grpc_addRemoveListener() {
        grpcContext.addListener(LISTENER, DIRECT);
        grpcContext.removeListener(LISTENER);
        return grpcContext;
    }
}
