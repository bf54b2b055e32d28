package dev.cancellation.bench.http;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.http.CancellationClientHttpRequestInterceptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/**
 * What {@link CancellationClientHttpRequestInterceptor} costs per call, side by side with no interceptor, in one
 * run: {@code token=none} (no current token: passes through), {@code token=deadline} (a bound token with a
 * deadline: budget header, one callback on the token for the exchange, wrapped response).
 * <ul>
 *   <li>{@code interceptorOnly*}: the interceptor around a stub execution that answers at once (no network), so
 *       the difference to {@code noInterceptor} is the interceptor itself;</li>
 *   <li>{@code loopback*}: a real {@code RestClient} GET over loopback HTTP (JDK request factory), where that
 *       cost sits next to a real exchange.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class HttpClientCostBenchmark {

    @Param({"none", "deadline"})
    public String token;

    private final CancellationClientHttpRequestInterceptor interceptor = new CancellationClientHttpRequestInterceptor();
    private final URI uri = URI.create("http://127.0.0.1:1/items");
    private final ClientHttpRequestExecution stub = (request, body) -> new CannedResponse();

    private BenchServer server;
    private RestClient plain;
    private RestClient intercepted;
    private URI fast;
    private CancellationSource source;
    private Cancellation.Scope scope;

    @Setup(Level.Trial)
    public void start() throws IOException {
        server = new BenchServer();
        fast = server.uri("/fast");
        plain = RestClient.builder().requestFactory(new JdkClientHttpRequestFactory()).build();
        intercepted = RestClient.builder().requestFactory(new JdkClientHttpRequestFactory())
                .requestInterceptor(interceptor).build();
    }

    @Setup(Level.Iteration)
    public void bind() {
        if (token.equals("deadline")) {
            source = CancellationSource.withTimeout(Duration.ofHours(1));
            scope = Cancellation.enter(source.token());
        }
    }

    @TearDown(Level.Iteration)
    public void unbind() {
        if (scope != null) {
            scope.close();
            source.close();
            scope = null;
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        server.close();
    }

    @Benchmark
    public void noInterceptor(Blackhole hole) throws IOException {
        Request request = new Request(uri);
        try (ClientHttpResponse response = stub.execute(request, new byte[0])) {
            hole.consume(response.getBody());
        }
    }

    @Benchmark
    public void interceptorOnly(Blackhole hole) throws IOException {
        Request request = new Request(uri);
        try (ClientHttpResponse response = interceptor.intercept(request, new byte[0], stub)) {
            hole.consume(response.getBody());
        }
    }

    @Benchmark
    public String loopbackNoInterceptor() {
        return plain.get().uri(fast).retrieve().body(String.class);
    }

    @Benchmark
    public String loopbackInterceptor() {
        return intercepted.get().uri(fast).retrieve().body(String.class);
    }

    private static final class Request implements HttpRequest {
        private final URI uri;
        private final HttpHeaders headers = new HttpHeaders();

        Request(URI uri) {
            this.uri = uri;
        }

        @Override
        public HttpMethod getMethod() {
            return HttpMethod.GET;
        }

        @Override
        public URI getURI() {
            return uri;
        }

        @Override
        public HttpHeaders getHeaders() {
            return headers;
        }

        @Override
        public java.util.Map<String, Object> getAttributes() {
            return java.util.Map.of();
        }
    }

    private static final class CannedResponse implements ClientHttpResponse {
        private static final byte[] BODY = {'o', 'k'};

        @Override
        public HttpStatusCode getStatusCode() {
            return HttpStatus.OK;
        }

        @Override
        public String getStatusText() {
            return "OK";
        }

        @Override
        public HttpHeaders getHeaders() {
            return HttpHeaders.EMPTY;
        }

        @Override
        public InputStream getBody() {
            return new ByteArrayInputStream(BODY);
        }

        @Override
        public void close() {
        }
    }
}
