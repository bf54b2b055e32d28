package dev.cancellation.bench;

import dev.cancellation.CancellationToken;
import dev.cancellation.web.InFlightRequests;
import dev.cancellation.web.RequestDeadlines;
import dev.cancellation.web.servlet.RequestCancellationFilter;
import jakarta.servlet.FilterChain;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * What the inbound web edge adds to a Servlet request: the same request through the same chain (whose handler reads
 * {@link CancellationToken#current()}), without the filter ({@code baseline*}, with the same request), through it without a deadline header,
 * and through it with {@code X-Request-Timeout: 800} (parse, a timed token, close). Each op builds a fresh request
 * and response, in every row alike.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RequestFilterBenchmark {

    private final RequestCancellationFilter filter = new RequestCancellationFilter(
            new RequestDeadlines("X-Request-Timeout", null, null), new InFlightRequests(null, Duration.ofSeconds(5)));

    private static FilterChain handler(Blackhole blackhole) {
        return (request, response) -> blackhole.consume(CancellationToken.current());
    }

    private static MockHttpServletRequest request(boolean withHeader) {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/api/reports/42");
        if (withHeader) {
            request.addHeader("X-Request-Timeout", "800");
        }
        return request;
    }

    @Benchmark
    public void baselineNoHeader(Blackhole blackhole) throws Exception {
        handler(blackhole).doFilter(request(false), new MockHttpServletResponse());
    }

    @Benchmark
    public void baselineWithHeader(Blackhole blackhole) throws Exception {
        handler(blackhole).doFilter(request(true), new MockHttpServletResponse());
    }

    @Benchmark
    public void filterNoHeader(Blackhole blackhole) throws Exception {
        filter.doFilter(request(false), new MockHttpServletResponse(), handler(blackhole));
    }

    @Benchmark
    public void filterWithHeader(Blackhole blackhole) throws Exception {
        filter.doFilter(request(true), new MockHttpServletResponse(), handler(blackhole));
    }
}
