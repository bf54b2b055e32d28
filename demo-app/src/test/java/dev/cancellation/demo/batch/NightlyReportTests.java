package dev.cancellation.demo.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The nightly report over real HTTP, on the demo's embedded H2: started, listed with its step in the endpoint's
 * tree, cancelled by the operator mid-job, recorded {@code STOPPED} with the reason, restarted from the last
 * committed chunk, and completed with every store written exactly once.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "demo.workers.count=1", "demo.batch.chunk=5", "demo.batch.item-delay=100ms" })
class NightlyReportTests {

    /** 40 stores of 100 ms: about 4 s of work, in 8 chunks; the test cancels after the first. */
    private static final int ITEMS = 40;

    @TempDir
    static Path outputDir;

    @DynamicPropertySource
    static void outputDir(DynamicPropertyRegistry registry) {
        registry.add("demo.output-dir", outputDir::toString);
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anOperatorCancelStopsTheJobAndTheRestartWritesEveryStoreExactlyOnce() throws Exception {
        HttpResponse<String> started = send("POST", "/api/batch/nightly-report?items=" + ITEMS);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        long executionId = JsonPath.parse(started.body()).read("$.executionId", Long.class);
        String run = JsonPath.read(started.body(), "$.run");

        String taskId = await("the job listed by the endpoint").atMost(Duration.ofSeconds(10))
                .until(() -> onlyTaskId("batch:nightlyReport"), id -> id != null);
        await("the step as the job's child in the tree view").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String tree = send("GET", "/actuator/cancellation/" + taskId).body();
            assertThat(JsonPath.<List<String>>read(tree, "$.children[*].name"))
                    .containsExactly("batch:nightlyReport/totals");
        });
        await("a chunk committed").atMost(Duration.ofSeconds(10)).until(() -> status(executionId)
                .read("$.itemsWritten", Long.class) >= 5);

        HttpResponse<String> cancelled = send("DELETE", "/actuator/cancellation/" + taskId);
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);

        DocumentContext stopped = await("the execution recorded STOPPED").atMost(Duration.ofSeconds(20))
                // the job's last save carries the reason; an earlier save may already read STOPPED without it
                .until(() -> status(executionId), status -> "STOPPED".equals(status.read("$.status"))
                        && String.valueOf(status.read("$.exitDescription", String.class)).contains("cancelled:"));
        assertThat(stopped.read("$.exitCode", String.class)).isEqualTo("STOPPED");
        assertThat(stopped.read("$.exitDescription", String.class)).startsWith("cancelled: REQUESTED");
        long writtenBeforeStop = stopped.read("$.itemsWritten", Long.class);
        // stopped mid-job, at a chunk boundary: what was written is whole chunks, and not everything
        assertThat(writtenBeforeStop).isBetween(5L, ITEMS - 1L).satisfies(n -> assertThat(n % 5).isZero());
        assertThat(stopped.read("$.reportLines", Long.class)).isEqualTo(writtenBeforeStop);

        HttpResponse<String> restarted = send("POST", "/api/batch/nightly-report/" + executionId + "/restart");
        assertThat(restarted.statusCode()).as(restarted.body()).isEqualTo(202);
        long restartId = JsonPath.parse(restarted.body()).read("$.executionId", Long.class);
        assertThat(restartId).isNotEqualTo(executionId);
        assertThat(JsonPath.<String>read(restarted.body(), "$.run")).isEqualTo(run);

        DocumentContext completed = await("the restart completed").atMost(Duration.ofSeconds(30))
                .until(() -> status(restartId), status -> "COMPLETED".equals(status.read("$.status")));
        // the restart resumed after the last committed chunk, and the run holds every store exactly once
        assertThat(completed.read("$.itemsWritten", Long.class)).isEqualTo(ITEMS - writtenBeforeStop);
        assertThat(completed.read("$.reportLines", Long.class)).isEqualTo((long) ITEMS);
        assertThat(completed.read("$.distinctStores", Long.class)).isEqualTo((long) ITEMS);

        HttpResponse<String> again = send("POST", "/api/batch/nightly-report/" + restartId + "/restart");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(409);
        assertThat(JsonPath.<String>read(again.body(), "$.detail")).startsWith("execution " + restartId
                + " cannot be restarted");
    }

    @Test
    void anUnknownExecutionIsNotFound() throws Exception {
        assertThat(send("GET", "/api/batch/nightly-report/987654").statusCode()).isEqualTo(404);
        assertThat(send("POST", "/api/batch/nightly-report/987654/restart").statusCode()).isEqualTo(404);
    }

    private DocumentContext status(long executionId) throws Exception {
        HttpResponse<String> response = send("GET", "/api/batch/nightly-report/" + executionId);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JsonPath.parse(response.body());
    }

    private String onlyTaskId(String name) throws Exception {
        String body = send("GET", "/actuator/cancellation?name=" + name).body();
        List<Map<String, Object>> tasks = JsonPath.read(body, "$.tasks");
        assertThat(tasks).as(body).hasSizeLessThanOrEqualTo(1);
        return tasks.isEmpty() ? null : (String) tasks.get(0).get("id");
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
