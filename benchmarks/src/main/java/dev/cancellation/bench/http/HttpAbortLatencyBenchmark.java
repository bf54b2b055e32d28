package dev.cancellation.bench.http;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.http.CancellationClientHttpRequestInterceptor;
import dev.cancellation.http.HttpComponentsAbortHandler;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.springframework.http.client.HttpComponentsClientHttpRequestFactory;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * Cancel-to-abort latency of an in-flight {@code RestClient} call (JDK request factory) that waits on a server
 * which never answers, in one run with the baseline:
 * <ul>
 *   <li>{@code cancelToken}: the caller runs under a token and the interceptor is installed; the measured
 *       operation is {@code source.cancel()} until the caller has its {@code TaskCancelledException};</li>
 *   <li>{@code cancelTokenApache}: the same with Apache HttpClient 5, aborted natively (the request's
 *       {@code cancel()}, installed by {@code HttpComponentsAbortHandler}) instead of by an interrupt;</li>
 *   <li>{@code interruptThread}: no interceptor; the measured operation is {@code Thread.interrupt()} of the
 *       blocked caller until it has its exception (what the task registry does after the interrupt grace).</li>
 * </ul>
 * Each invocation's setup (excluded from the time) starts a fresh call on the caller thread and waits until the
 * server has the request. The server sees every aborted connection closed ({@code closed} is drained per call).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class HttpAbortLatencyBenchmark {

    @State(Scope.Thread)
    public abstract static class InFlight {
        BenchServer server;
        URI slow;
        ExecutorService caller;
        volatile Thread callerThread;
        Future<Throwable> outcome;

        abstract RestClient client();

        @Setup(Level.Trial)
        public void start() throws IOException {
            server = new BenchServer();
            slow = server.uri("/slow");
            caller = Executors.newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "bench-caller");
                thread.setDaemon(true);
                return thread;
            });
        }

        Future<Throwable> call(CancellationSource source) throws InterruptedException {
            RestClient client = client();
            Future<Throwable> future = caller.submit(() -> {
                callerThread = Thread.currentThread();
                try (Cancellation.Scope ignored = (source == null) ? null : Cancellation.enter(source.token())) {
                    client.get().uri(slow).retrieve().body(String.class);
                    return null;
                } catch (Throwable ex) {
                    return ex;
                } finally {
                    Thread.interrupted(); // the interrupt baseline leaves its flag behind
                }
            });
            server.arrived.acquire();
            return future;
        }

        void awaitClosed() throws InterruptedException {
            if (!server.closed.tryAcquire(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the server never saw the aborted connection closed");
            }
        }

        @TearDown(Level.Trial)
        public void stop() throws IOException {
            caller.shutdownNow();
            server.close();
        }
    }

    public static class TokenCall extends InFlight {
        private final RestClient client = RestClient.builder().requestFactory(new JdkClientHttpRequestFactory())
                .requestInterceptor(new CancellationClientHttpRequestInterceptor()).build();
        CancellationSource source;

        @Override
        RestClient client() {
            return client;
        }

        @Setup(Level.Invocation)
        public void startCall() throws InterruptedException {
            source = CancellationSource.create();
            outcome = call(source);
        }

        @TearDown(Level.Invocation)
        public void endCall() throws InterruptedException {
            awaitClosed();
            source.close();
        }
    }

    public static class ApacheTokenCall extends TokenCall {
        private final RestClient client = RestClient.builder()
                .requestFactory(new HttpComponentsClientHttpRequestFactory(HttpClientBuilder.create()
                        .addExecInterceptorFirst(HttpComponentsAbortHandler.NAME, new HttpComponentsAbortHandler())
                        .build()))
                .requestInterceptor(new CancellationClientHttpRequestInterceptor()).build();

        @Override
        RestClient client() {
            return client;
        }
    }

    public static class PlainCall extends InFlight {
        private final RestClient client = RestClient.builder().requestFactory(new JdkClientHttpRequestFactory())
                .build();

        @Override
        RestClient client() {
            return client;
        }

        @Setup(Level.Invocation)
        public void startCall() throws InterruptedException {
            outcome = call(null);
        }

        @TearDown(Level.Invocation)
        public void endCall() throws InterruptedException {
            awaitClosed();
        }
    }

    @Benchmark
    public Throwable cancelToken(TokenCall call) throws Exception {
        call.source.cancel();
        return call.outcome.get(10, TimeUnit.SECONDS);
    }

    @Benchmark
    public Throwable cancelTokenApache(ApacheTokenCall call) throws Exception {
        call.source.cancel();
        return call.outcome.get(10, TimeUnit.SECONDS);
    }

    @Benchmark
    public Throwable interruptThread(PlainCall call) throws Exception {
        call.callerThread.interrupt();
        return call.outcome.get(10, TimeUnit.SECONDS);
    }
}
