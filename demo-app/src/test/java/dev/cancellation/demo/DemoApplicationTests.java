package dev.cancellation.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import dev.cancellation.task.TaskRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Fast in-process smoke test of the demo's wiring; the end-to-end tests ({@code *IT}) run the packaged jar.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "demo.workers.count=1", "demo.report.timeout=2s", "demo.report.per-month=100ms" })
class DemoApplicationTests {

    @TempDir
    static Path outputDir;

    @DynamicPropertySource
    static void outputDir(DynamicPropertyRegistry registry) {
        registry.add("demo.output-dir", outputDir::toString);
    }

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shortReportCompletes() throws Exception {
        HttpResponse<String> response = get("/api/reports/sales?months=2");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JsonPath.<Integer>read(response.body(), "$.rows.length()")).isEqualTo(2);
    }

    @Test
    void reportOverItsBudgetAnswers504WithTheReason() throws Exception {
        HttpResponse<String> response = get("/api/reports/sales?months=50");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(JsonPath.<String>read(response.body(), "$.reason.kind")).isEqualTo("TIMEOUT");
    }

    @Test
    void workerRunsAsATaskListedByTheEndpoint() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> response = get("/actuator/cancellation?name=order-events-worker");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(JsonPath.<Integer>read(response.body(), "$.summary.total")).isEqualTo(1);
        });
        assertThat(registry.list("order-events-worker", null)).singleElement()
                .satisfies(task -> assertThat(task.thread()).isEqualTo("worker-1"));
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
