package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.grpc.CancellationClientInterceptor;
import dev.cancellation.grpc.CancellationServerInterceptor;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What the gRPC edge adds to one call, without the network: a unary call's server side (start, half-close, complete)
 * through a handler that reads {@link CancellationToken#current()}, bare ({@code serverBaseline}) and behind the
 * {@link CancellationServerInterceptor} ({@code serverIntercepted}), both in a call context with a 5 s deadline as
 * gRPC's server makes one; and a call's client side (new call, start, close) on a channel that answers at once,
 * bare and through the {@link CancellationClientInterceptor} under a token with a 5 s budget.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GrpcInterceptorBenchmark {

    private static final MethodDescriptor.Marshaller<String> STRING = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(new byte[0]);
        }

        @Override
        public String parse(InputStream stream) {
            return "";
        }
    };

    private static final MethodDescriptor<String, String> METHOD = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("bench.Work/Run")
            .setRequestMarshaller(STRING).setResponseMarshaller(STRING).build();

    private Blackhole blackhole;
    private ServerCallHandler<String, String> bare;
    private ServerCallHandler<String, String> intercepted;
    private Channel channel;
    private Channel interceptedChannel;
    private CancellationSource budget;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp(Blackhole blackhole) {
        this.blackhole = blackhole;
        bare = (call, headers) -> new ServerCall.Listener<>() {
            @Override
            public void onHalfClose() {
                blackhole.consume(CancellationToken.current());
            }
        };
        intercepted = (ServerCallHandler<String, String>) ServerInterceptors.interceptForward(
                io.grpc.ServerServiceDefinition.builder("bench.Work").addMethod(METHOD, bare).build(),
                new CancellationServerInterceptor(null, false)).getMethod("bench.Work/Run").getServerCallHandler();
        channel = new Channel() {
            @Override
            public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method,
                    CallOptions options) {
                blackhole.consume(options.getDeadline());
                return new AnsweringCall<>();
            }

            @Override
            public String authority() {
                return "bench";
            }
        };
        interceptedChannel = io.grpc.ClientInterceptors.intercept(channel, new CancellationClientInterceptor());
        budget = CancellationSource.withTimeout(Duration.ofSeconds(3600));
    }

    @TearDown
    public void tearDown() {
        budget.close();
    }

    private void serve(ServerCallHandler<String, String> handler) {
        Context.CancellableContext context = Context.current().withDeadlineAfter(5, TimeUnit.SECONDS,
                Scheduler.INSTANCE);
        Context previous = context.attach();
        try {
            ServerCall.Listener<String> listener = handler.startCall(new NoOpServerCall(), new Metadata());
            listener.onMessage("request");
            listener.onHalfClose();
            listener.onComplete();
        } finally {
            context.detach(previous);
            context.cancel(null);
        }
    }

    @Benchmark
    public void serverBaseline() {
        serve(bare);
    }

    @Benchmark
    public void serverIntercepted() {
        serve(intercepted);
    }

    private void call(Channel target) {
        ClientCall<String, String> call = target.newCall(METHOD, CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() { }, new Metadata());
        blackhole.consume(call);
    }

    @Benchmark
    public void clientBaselineUnderToken() {
        try (Cancellation.Scope ignored = Cancellation.enter(budget.token())) {
            call(channel);
        }
    }

    @Benchmark
    public void clientInterceptedUnderToken() {
        try (Cancellation.Scope ignored = Cancellation.enter(budget.token())) {
            call(interceptedChannel);
        }
    }

    @Benchmark
    public void clientInterceptedNoToken() {
        call(interceptedChannel);
    }

    /**
     * The deadline scheduler of the call contexts: never fires within a 5 s benchmark op. A cancelled deadline
     * leaves the queue at once, as in the transports' event loops; kept there, millions of them would make the
     * rows measure the collector.
     */
    private static final class Scheduler {
        static final java.util.concurrent.ScheduledThreadPoolExecutor INSTANCE = create();

        private static java.util.concurrent.ScheduledThreadPoolExecutor create() {
            java.util.concurrent.ScheduledThreadPoolExecutor executor =
                    new java.util.concurrent.ScheduledThreadPoolExecutor(1, runnable -> {
                        Thread thread = new Thread(runnable, "grpc-bench-deadlines");
                        thread.setDaemon(true);
                        return thread;
                    });
            executor.setRemoveOnCancelPolicy(true);
            return executor;
        }
    }

    /** A server call that goes nowhere. */
    private static final class NoOpServerCall extends ServerCall<String, String> {
        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(String message) {
        }

        @Override
        public void close(Status status, Metadata trailers) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public MethodDescriptor<String, String> getMethodDescriptor() {
            return METHOD;
        }
    }

    /** A client call that answers as soon as it starts. */
    private static final class AnsweringCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
            listener.onClose(Status.OK, new Metadata());
        }

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void cancel(@Nullable String message, @Nullable Throwable cause) {
        }

        @Override
        public void halfClose() {
        }

        @Override
        public void sendMessage(ReqT message) {
        }
    }
}
