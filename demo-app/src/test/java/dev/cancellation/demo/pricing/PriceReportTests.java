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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The price report over real HTTP: its call to the (in-process) supplier carries the budget, and when the budget
 * runs out the call is aborted, the report answers 504 at the budget, and the supplier sees the connection closed.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "demo.workers.count=1", "demo.prices.timeout=700ms", "demo.prices.supplier-delay=10s" })
@ExtendWith(OutputCaptureExtension.class)
class PriceReportTests {

    @TempDir
    static Path outputDir;

    @DynamicPropertySource
    static void outputDir(DynamicPropertyRegistry registry) {
        registry.add("demo.output-dir", outputDir::toString);
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFastSupplierIsToldTheBudgetAndAnswers(CapturedOutput output) throws Exception {
        HttpResponse<String> response = get("/api/reports/prices/ABC-1?supplier-delay=100ms");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JsonPath.<String>read(response.body(), "$.sku")).isEqualTo("ABC-1");
        assertThat(output.getOut()).containsPattern("supplier: price of ABC-1 asked, caller's budget "
                + "X-Request-Timeout=\\d+ ms");
    }

    @Test
    void aSlowSupplierIsAbortedAtTheBudgetAndSeesTheConnectionClosed(CapturedOutput output) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = get("/api/reports/prices/ABC-2");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(JsonPath.<String>read(response.body(), "$.reason.kind")).isEqualTo("TIMEOUT");
        // at the budget, not when the supplier would have answered (10 s) nor after the interrupt grace
        assertThat(took).isLessThan(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(output.getOut())
                .contains("supplier: the caller aborted the call for ABC-2"));
        assertThat(output.getOut()).doesNotContain("supplier: answered ABC-2");
    }
}
