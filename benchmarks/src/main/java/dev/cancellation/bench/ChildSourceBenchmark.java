package dev.cancellation.bench;

import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import io.grpc.Context;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Row 2: the life of a short child (a request scope under an application-wide parent): create it under a shared
 * live parent, then release it. Every variant runs on 1 thread and on 2 threads sharing the same parent.
 *
 * <ul>
 *   <li>{@code ours_createClose}: {@code CancellationSource.childOf(parent)} + {@code close()} (the normal
 *       try-with-resources path: release without cancelling).</li>
 *   <li>{@code ours_createCancelClose}: same, but cancel before close (what gRPC must do to release a child).</li>
 *   <li>{@code grpc_withCancellationCancel}: {@code Context.current().withCancellation()} + {@code cancel(null)},
 *       with the parent attached as current. gRPC links a child to its parent lazily, only when a listener is
 *       added to the child; without one, creating a child does not touch the parent at all, and the child's
 *       {@code isCancelled()} walks up the ancestors instead.</li>
 *   <li>{@code grpc_withCancellationListenerCancel}: same plus one {@code addListener} on the child, which forces
 *       the link into the parent: the same work our child does eagerly.</li>
 *   <li>{@code dotnetStyle_linkedCreateClose}: {@link LinkedSourceBaseline}, eager link under a monitor.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChildSourceBenchmark {

    private static final Executor DIRECT = Runnable::run;
    private static final Context.CancellationListener NOOP_LISTENER = context -> { };

    private CancellationSource parent;
    private CancellationToken parentToken;
    private Context.CancellableContext grpcParent;
    private LinkedSourceBaseline dotnetParent;

    @Setup
    public void setUp() {
        parent = CancellationSource.create();
        parentToken = parent.token();
        grpcParent = Context.ROOT.withCancellation();
        dotnetParent = new LinkedSourceBaseline();
    }

    @TearDown
    public void tearDown() {
        parent.cancel();
        grpcParent.cancel(null);
        dotnetParent.cancel();
    }

    /** Attaches the shared gRPC parent as current on each benchmark thread. */
    @State(Scope.Thread)
    public static class GrpcScope {
        private Context previous;

        @Setup(Level.Trial)
        public void attach(ChildSourceBenchmark shared) {
            previous = shared.grpcParent.attach();
        }

        @TearDown(Level.Trial)
        public void detach(ChildSourceBenchmark shared) {
            shared.grpcParent.detach(previous);
        }
    }

    // ------------------------------------------------------------------ 1 thread

    @Benchmark
    @Threads(1)
    public CancellationToken ours_createClose_1t() {
        return createClose();
    }

    @Benchmark
    @Threads(1)
    public CancellationToken ours_createCancelClose_1t() {
        return createCancelClose();
    }

    @Benchmark
    @Threads(1)
    public boolean grpc_withCancellationCancel_1t(GrpcScope scope) {
        return grpcCancel();
    }

    @Benchmark
    @Threads(1)
    public boolean grpc_withCancellationListenerCancel_1t(GrpcScope scope) {
        return grpcListenerCancel();
    }

    @Benchmark
    @Threads(1)
    public LinkedSourceBaseline dotnetStyle_linkedCreateClose_1t() {
        return dotnetCreateClose();
    }

    // ------------------------------------------------------------------ 2 threads, same parent

    @Benchmark
    @Threads(2)
    public CancellationToken ours_createClose_2t() {
        return createClose();
    }

    @Benchmark
    @Threads(2)
    public CancellationToken ours_createCancelClose_2t() {
        return createCancelClose();
    }

    @Benchmark
    @Threads(2)
    public boolean grpc_withCancellationCancel_2t(GrpcScope scope) {
        return grpcCancel();
    }

    @Benchmark
    @Threads(2)
    public boolean grpc_withCancellationListenerCancel_2t(GrpcScope scope) {
        return grpcListenerCancel();
    }

    @Benchmark
    @Threads(2)
    public LinkedSourceBaseline dotnetStyle_linkedCreateClose_2t() {
        return dotnetCreateClose();
    }

    // ------------------------------------------------------------------ bodies

    private CancellationToken createClose() {
        CancellationSource child = CancellationSource.childOf(parentToken);
        child.close();
        return child.token();
    }

    private CancellationToken createCancelClose() {
        CancellationSource child = CancellationSource.childOf(parentToken);
        child.cancel();
        child.close();
        return child.token();
    }

    private static boolean grpcCancel() {
        Context.CancellableContext child = Context.current().withCancellation();
        return child.cancel(null);
    }

    private static boolean grpcListenerCancel() {
        Context.CancellableContext child = Context.current().withCancellation();
        child.addListener(NOOP_LISTENER, DIRECT);
        return child.cancel(null);
    }

    private LinkedSourceBaseline dotnetCreateClose() {
        LinkedSourceBaseline child = LinkedSourceBaseline.linkedTo(dotnetParent);
        child.close();
        return child;
    }
}
