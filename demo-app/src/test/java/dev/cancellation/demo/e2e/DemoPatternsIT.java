package dev.cancellation.demo.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives the packaged demo, running as its own process, over real HTTP: each pattern of the walkthrough, as a
 * newcomer would try it with curl.
 */
class DemoPatternsIT {

    @TempDir
    static Path workDir;

    static DemoProcess demo;

    @BeforeAll
    static void startDemo() throws IOException {
        demo = DemoProcess.start(workDir);
    }

    @AfterAll
    static void stopDemo() {
        if (demo != null) {
            demo.close("DemoPatternsIT");
        }
    }

    @Test
    void reportOverItsBudgetIsCutOffWith504AndTheReason() {
        long start = System.nanoTime();
        // 120 months at 200 ms each would take 24 s; the budget is 2 s.
        HttpResponse<String> response = demo.get("/api/reports/sales?months=120");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        DocumentContext body = JsonPath.parse(response.body());
        assertThat(body.read("$.title", String.class)).isEqualTo("Task timed out");
        assertThat(body.read("$.reason.kind", String.class)).isEqualTo("TIMEOUT");
        assertThat(body.read("$.detail", String.class)).isEqualTo("GET /api/reports/sales: TIMEOUT");
        assertThat(response.body()).doesNotContain("origin"); // who cancelled stays in the log
        // Not before the budget is spent, and long before the work would have finished on its own.
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1900)).isLessThan(Duration.ofSeconds(12));
        // the cancel line comes from a task listener on the callback pool, possibly after the answer
        await("the cancel logged").atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(demo.log())
                .containsPattern("DEBUG .* tasks +cancel +sales-report +\\w+ TIMEOUT \\(timed out after 2s\\)"));
    }

    @Test
    void theCallersBudgetCutsTheReportOffEarlierThanItsOwn() {
        long start = System.nanoTime();
        HttpResponse<String> response = demo.get("/api/reports/sales?months=24", "X-Request-Timeout", "800");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        DocumentContext body = JsonPath.parse(response.body());
        assertThat(body.read("$.title", String.class)).isEqualTo("Request deadline exceeded");
        assertThat(body.read("$.reason.kind", String.class)).isEqualTo("TIMEOUT");
        assertThat(body.read("$.detail", String.class)).isEqualTo("GET /api/reports/sales: TIMEOUT");
        // The caller's 800 ms, not the report's own 2 s budget.
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(750)).isLessThan(Duration.ofMillis(1900));
    }

    @Test
    void aMalformedBudgetIsRefusedWith400NamingTheHeader() {
        HttpResponse<String> response = demo.get("/api/reports/sales?months=2", "X-Request-Timeout", "soon");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JsonPath.<String>read(response.body(), "$.header")).isEqualTo("X-Request-Timeout");
        assertThat(JsonPath.<String>read(response.body(), "$.value")).isEqualTo("soon");
    }

    @Test
    void reportWithinItsBudgetCompletes() {
        HttpResponse<String> response = demo.get("/api/reports/sales?months=3");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        DocumentContext body = JsonPath.parse(response.body());
        assertThat(body.read("$.months", Integer.class)).isEqualTo(3);
        assertThat(body.read("$.rows.length()", Integer.class)).isEqualTo(3);
    }

    @Test
    void operatorCancelsTheImportThroughTheActuatorAndItsCleanupDeletesThePartialOutput() {
        HttpResponse<String> started = demo.post("/api/imports");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String importId = JsonPath.read(started.body(), "$.importId");
        Path directory = demo.outputDir().resolve("imports").resolve(importId);
        await("partial output of " + importId).atMost(Duration.ofSeconds(30))
                .until(() -> fileCount(directory) >= 2);

        String taskId = await("the import listed by the endpoint").atMost(Duration.ofSeconds(10))
                .until(() -> onlyTaskId("catalog-import"), id -> id != null);
        HttpResponse<String> cancelled = demo.delete("/actuator/cancellation/" + taskId);
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(JsonPath.<String>read(cancelled.body(), "$.reason.kind")).isEqualTo("REQUESTED");

        await("the cleanup deleting " + directory).atMost(Duration.ofSeconds(20))
                .until(() -> !Files.exists(directory));
        await("the import reported cancelled").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> status = demo.get("/api/imports/" + importId);
            assertThat(JsonPath.<String>read(status.body(), "$.state")).isEqualTo("cancelled");
            assertThat(JsonPath.<List<String>>read(status.body(), "$.files")).isEmpty();
        });
        await("the import in the endpoint's history").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String history = demo.get("/actuator/cancellation?name=catalog-import").body();
            assertThat(JsonPath.<List<String>>read(history, "$.history[?(@.id == '" + taskId + "')].state"))
                    .containsExactly("CANCELLED");
        });
        await("the cleanup logged").atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(demo.log())
                .contains("import " + importId + ": cancelled (REQUESTED), deleted")
                .containsPattern("DEBUG .* tasks +cleanup +catalog-import +" + taskId + " success"));
    }

    @Test
    void cancellingTheSyncCancelsItsRegionChildren() {
        HttpResponse<String> started = demo.post("/api/sync");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String parentId = await("the sync listed by the endpoint").atMost(Duration.ofSeconds(10))
                .until(() -> onlyTaskId("catalog-sync"), id -> id != null);
        await("three region children in the tree view").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> tree = demo.get("/actuator/cancellation/" + parentId);
            assertThat(tree.statusCode()).isEqualTo(200);
            assertThat(JsonPath.<List<String>>read(tree.body(), "$.children[*].name"))
                    .containsExactly("region-sync", "region-sync", "region-sync");
            assertThat(JsonPath.<List<String>>read(tree.body(), "$.children[*].parentId"))
                    .containsOnly(parentId);
        });
        List<String> childIds = JsonPath.read(demo.get("/actuator/cancellation/" + parentId).body(),
                "$.children[*].id");

        assertThat(demo.delete("/actuator/cancellation/" + parentId).statusCode()).isEqualTo(200);

        await("the children cancelled with their parent").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            String list = demo.get("/actuator/cancellation?name=region-sync").body();
            assertThat(JsonPath.<List<Object>>read(list, "$.tasks")).isEmpty();
            for (String childId : childIds) {
                String child = demo.get("/actuator/cancellation/" + childId).body();
                assertThat(JsonPath.<String>read(child, "$.state")).isEqualTo("CANCELLED");
                assertThat(JsonPath.<String>read(child, "$.reason.kind")).isEqualTo("REQUESTED");
            }
        });
        await("the regions' cancels logged").atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                demo.log()).contains("region eu-west: cancelled (REQUESTED)", "region us-east: cancelled",
                "region ap-south: cancelled"));
    }

    @Test
    void blockedLegacyCallIsInterruptedAfterItsGracePeriod() {
        long start = System.nanoTime();
        HttpResponse<String> response = demo.get("/api/stock/SKU-42");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(JsonPath.<String>read(response.body(), "$.reason.kind")).isEqualTo("TIMEOUT");
        // Timeout 2s, then 1s of grace before the interrupt: the blocked take() cannot end sooner.
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(2900)).isLessThan(Duration.ofSeconds(15));
        await("the interrupt logged").atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(demo.log())
                .contains("stock lookup SKU-42: blocking take() interrupted after"));
    }

    /** The id of the single live task named {@code name}, or {@code null} while there is none. */
    private static String onlyTaskId(String name) {
        String body = demo.get("/actuator/cancellation?name=" + name).body();
        List<Map<String, Object>> tasks = JsonPath.read(body, "$.tasks");
        assertThat(tasks).as(body).hasSizeLessThanOrEqualTo(1);
        return tasks.isEmpty() ? null : (String) tasks.get(0).get("id");
    }

    private static long fileCount(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.count();
        }
    }
}
