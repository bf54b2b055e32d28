package dev.cancellation.demo.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.ClassUtils;

/**
 * The price report with {@code demo.prices.transport=grpc}: the report calls the supplier's gRPC service on the
 * demo's own Spring gRPC server (loopback, a free port) through a channel from Spring gRPC's channel factory. The
 * caller's {@code X-Request-Timeout} becomes the call's deadline, and when it runs out the call is cancelled and the
 * supplier's token with it: the supplier stops waiting at the caller's budget, not at its own delay.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "demo.workers.count=1", "demo.prices.transport=grpc", "demo.prices.timeout=30s",
        "demo.prices.supplier-delay=10s", "spring.grpc.server.port=0" })
@ExtendWith(OutputCaptureExtension.class)
class GrpcPriceReportTests {

    @TempDir
    static Path outputDir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("demo.output-dir", outputDir::toString);
        if (ClassUtils.isPresent("org.springframework.boot.grpc.server.autoconfigure.NettyAddress",
                GrpcPriceReportTests.class.getClassLoader())) {
            registry.add("spring.grpc.server.address", () -> "127.0.0.1"); // Boot 4.1's name for the host
        }
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String path, String budgetMs) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (budgetMs != null) {
            request.header("X-Request-Timeout", budgetMs);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A first call through the whole path, with a budget no loaded machine runs out of: the channel's connection
     * and the class loading out of the way before a test measures anything.
     */
    private void warmUp() throws Exception {
        HttpResponse<String> response = get("/api/reports/prices/WARM?supplier-delay=10ms", "20000");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    @Test
    void aFastGrpcSupplierGetsTheBudgetAsItsDeadlineAndAnswers(CapturedOutput output) throws Exception {
        warmUp();

        HttpResponse<String> response = get("/api/reports/prices/GRPC-1?supplier-delay=100ms", "10000");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JsonPath.<String>read(response.body(), "$.sku")).isEqualTo("GRPC-1");
        Matcher asked = Pattern.compile("supplier \\(gRPC\\): price of GRPC-1 asked, caller's deadline "
                + "grpc-timeout=(\\d+) ms").matcher(output.getOut());
        assertThat(asked.find()).as(output.getOut()).isTrue();
        assertThat(Long.parseLong(asked.group(1))).as("what is left of the caller's 10 s, not the report's 30 s")
                .isBetween(1L, 10_000L);
    }

    @Test
    void theCallersBudgetStopsTheGrpcSupplierCall(CapturedOutput output) throws Exception {
        warmUp();
        long start = System.nanoTime();
        HttpResponse<String> response = get("/api/reports/prices/GRPC-2", "800");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(JsonPath.<String>read(response.body(), "$.reason.kind")).isEqualTo("TIMEOUT");
        // at the caller's 800 ms, not at the report's own 30 s nor at the supplier's 10 s
        assertThat(took).isLessThan(Duration.ofMillis(4000));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(output.getOut())
                .containsPattern("supplier \\(gRPC\\): the call for GRPC-2 was cancelled after \\d+ ms, its token: "));
        Matcher cancelled = Pattern.compile("the call for GRPC-2 was cancelled after (\\d+) ms")
                .matcher(output.getOut());
        assertThat(cancelled.find()).isTrue();
        assertThat(Long.parseLong(cancelled.group(1))).as("the supplier stopped at the caller's budget")
                .isLessThan(4000L);
        assertThat(output.getOut()).doesNotContain("supplier (gRPC): answered GRPC-2");
    }
}
