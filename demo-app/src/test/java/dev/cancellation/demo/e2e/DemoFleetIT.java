package dev.cancellation.demo.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two (and for a while three) packaged demos, each its own {@code java -jar} process, in one fleet on a real
 * Redis server: listing and cancelling across instances over HTTP, an instance killed with SIGKILL, and Redis
 * stopped and started again while tasks run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoFleetIT {

    private static final Duration TIME_TO_LIVE = Duration.ofSeconds(3);

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path workDir;

    static RedisServerProcess redis;

    static DemoProcess a;

    static DemoProcess b;

    @BeforeAll
    static void startFleet() throws IOException {
        redis = RedisServerProcess.start();
        a = member("demo-a");
        b = member("demo-b");
        await("both instances in the fleet").atMost(WAIT).until(() -> instancesSeenBy(a).containsAll(
                List.of("demo-a", "demo-b")));
    }

    /** The fleet's key, random per run: cancels across instances need one shared by every instance. */
    static final String FLEET_KEY = fleetKey();

    static String fleetKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    static DemoProcess member(String instance) throws IOException {
        return DemoProcess.start(Files.createDirectories(workDir.resolve(instance)),
                "--cancellation.cluster.enabled=true", "--cancellation.cluster.instance-id=" + instance,
                "--cancellation.cluster.secret=" + FLEET_KEY,
                "--cancellation.cluster.heartbeat-interval=250ms", "--cancellation.cluster.time-to-live=" + TIME_TO_LIVE,
                "--cancellation.cluster.request-timeout=1s", "--spring.data.redis.port=" + redis.port(),
                "--demo.workers.count=1");
    }

    @AfterAll
    static void stopFleet() {
        if (a != null) {
            a.close("DemoFleetIT-a");
        }
        if (b != null) {
            b.close("DemoFleetIT-b");
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    @Order(1)
    void listsTheTasksOfEveryInstanceEachWithItsInstance() {
        Import onB = startImport(b);
        String taskId = onB.taskId();

        await().atMost(WAIT).until(() -> seenBy(a, taskId));

        DocumentContext cluster = JsonPath.parse(a.get("/actuator/cancellation?scope=cluster").body());
        List<Map<String, Object>> tasksOfB = cluster.read("$.tasks[?(@.instance == 'demo-b')]");
        List<Map<String, Object>> tasksOfA = cluster.read("$.tasks[?(@.instance == 'demo-a')]");
        assertThat(tasksOfB).extracting(task -> task.get("name")).contains("catalog-import", "order-events-worker");
        assertThat(tasksOfA).extracting(task -> task.get("name")).contains("order-events-worker");
        assertThat(cluster.read("$.summary.total", Integer.class)).isEqualTo(tasksOfA.size() + tasksOfB.size());
        assertThat(tasksOfB).filteredOn(task -> taskId.equals(task.get("id"))).singleElement().satisfies(task -> {
            assertThat(task.get("state")).isEqualTo("RUNNING");
            assertThat(task.get("startedAt")).isNotNull();
            assertThat((String) task.get("thread")).startsWith("task-");
        });
        // the local view stays local, and names its instance too
        DocumentContext local = JsonPath.parse(a.get("/actuator/cancellation").body());
        assertThat(local.read("$.tasks[*].instance", List.class)).containsOnly("demo-a");
        assertThat(local.read("$.tasks[?(@.id == '" + taskId + "')]", List.class)).isEmpty();
    }

    @Test
    @Order(2)
    void cancelsATaskOfBThroughAAndBRunsTheCleanup() {
        Import onB = startImport(b);
        String importOnB = onB.importId();
        String taskId = onB.taskId();
        await().atMost(WAIT).until(() -> seenBy(a, taskId));
        await().atMost(WAIT).until(() -> Files.isDirectory(b.outputDir().resolve("imports").resolve(importOnB)));

        HttpResponse<String> cancelled = a.delete("/actuator/cancellation/" + taskId);

        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        DocumentContext task = JsonPath.parse(cancelled.body());
        assertThat(task.read("$.id", String.class)).isEqualTo(taskId);
        assertThat(task.read("$.instance", String.class)).isEqualTo("demo-b");
        assertThat(task.read("$.state", String.class)).isIn("CANCELLING", "CLEANING_UP", "CANCELLED");
        assertThat(task.read("$.reason.kind", String.class)).isEqualTo("REQUESTED");
        assertThat(task.read("$.reason.origin", String.class)).isEqualTo("actuator via demo-a");
        // the import stops on b, and b's cleanup deletes its partial output there
        await().atMost(WAIT).until(() -> JsonPath.parse(b.get("/api/imports/" + importOnB).body())
                .read("$.state", String.class).equals("cancelled"));
        await().atMost(WAIT).until(() -> b.log().contains("import " + importOnB + ": cancelled (REQUESTED), deleted"));
        assertThat(b.outputDir().resolve("imports").resolve(importOnB)).doesNotExist();
        assertThat(a.log()).doesNotContain("import " + importOnB);
        // any instance answers for it afterwards, from b's history
        DocumentContext after = JsonPath.parse(a.get("/actuator/cancellation/" + taskId).body());
        assertThat(after.read("$.instance", String.class)).isEqualTo("demo-b");
        assertThat(after.read("$.state", String.class)).isEqualTo("CANCELLED");
        // and an id that no live instance runs is a 404
        assertThat(a.delete("/actuator/cancellation/0123456789abcdef").statusCode()).isEqualTo(404);
        assertThat(a.get("/actuator/cancellation/0123456789abcdef").statusCode()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void cancelsByNameAcrossTheFleet() {
        String importOnA = startImport(a).importId();
        Import onB = startImport(b);
        String importOnB = onB.importId();

        HttpResponse<String> response = a.postJson("/actuator/cancellation",
                "{\"name\":\"catalog-import\",\"scope\":\"cluster\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        DocumentContext body = JsonPath.parse(response.body());
        assertThat(body.read("$.tasks[*].instance", List.class)).contains("demo-a", "demo-b");
        await().atMost(WAIT).until(() -> importState(a, importOnA).equals("cancelled")
                && importState(b, importOnB).equals("cancelled"));
    }

    @Test
    @Order(4)
    void anInstanceKilledWithSigkillLeavesTheFleetWithinItsTimeToLive() throws Exception {
        DemoProcess c = member("demo-c");
        String taskOnC;
        try {
            taskOnC = startImport(c).taskId();
            String seen = taskOnC;
            await().atMost(WAIT).until(() -> seenBy(a, seen));

            c.kill();
            long killed = System.nanoTime();

            // until its heartbeat expires, demo-c still counts as live: a cancel cannot be answered "not found"
            HttpResponse<String> meanwhile = a.delete("/actuator/cancellation/" + taskOnC);
            if (Duration.ofNanos(System.nanoTime() - killed).compareTo(TIME_TO_LIVE.minusMillis(500)) < 0) {
                assertThat(meanwhile.statusCode()).as(meanwhile.body()).isEqualTo(503);
                assertThat(JsonPath.parse(meanwhile.body()).read("$.message", String.class))
                        .contains("demo-c", "did not answer");
            }

            await("demo-c gone from the fleet").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> !instancesSeenBy(a).contains("demo-c"));
            Duration gone = Duration.ofNanos(System.nanoTime() - killed);
            assertThat(gone).as("gone within its time to live (plus one poll)")
                    .isLessThan(TIME_TO_LIVE.plusMillis(500));
        } finally {
            c.close("DemoFleetIT-c");
        }
        // a cancel for a task of the dead instance is answered honestly: no live instance runs it
        HttpResponse<String> response = a.delete("/actuator/cancellation/" + taskOnC);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(404);
    }

    @Test
    @Order(5)
    void redisStoppedUnderLoadLeavesLocalWorkAloneAnswers503AndTheFleetComesBack() {
        List<Import> importsOnB = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            importsOnB.add(startImport(b));
            startImport(a);
        }
        await().atMost(WAIT).until(() -> seenBy(a, importsOnB.get(9).taskId()));

        redis.stop();

        await().atMost(WAIT).until(() -> a.get("/actuator/cancellation?scope=cluster").statusCode() == 503);
        HttpResponse<String> unavailable = a.get("/actuator/cancellation?scope=cluster");
        assertThat(JsonPath.parse(unavailable.body()).read("$.message", String.class))
                .contains("Redis at 127.0.0.1:" + redis.port());
        assertThat(a.delete("/actuator/cancellation/0123456789abcdef").statusCode()).isEqualTo(503);
        assertThat(JsonPath.parse(a.get("/actuator/health").body())
                .read("$.components.cancellationFleet.status", String.class)).isEqualTo("OUT_OF_FLEET");
        // local work goes on: new tasks start, the local list answers, a local cancel works
        Import duringOutage = startImport(a);
        assertThat(a.delete("/actuator/cancellation/" + duringOutage.taskId()).statusCode()).isEqualTo(200);
        await().atMost(WAIT).until(() -> importState(a, duringOutage.importId()).equals("cancelled"));
        startImport(b);
        assertThat(importsOnB).allSatisfy(i -> assertThat(importState(b, i.importId())).isEqualTo("running"));

        redis.startAgain();

        await("a and b back in the fleet").atMost(WAIT).ignoreExceptions()
                .until(() -> instancesSeenBy(a).containsAll(List.of("demo-a", "demo-b")));
        String taskOnB = importsOnB.get(0).taskId();
        await().atMost(WAIT).until(() -> seenBy(a, taskOnB));
        assertThat(importsOnB).allSatisfy(i -> assertThat(seenBy(a, i.taskId())).isTrue());
        await().atMost(WAIT).until(() -> a.delete("/actuator/cancellation/" + taskOnB).statusCode() == 200);
        await().atMost(WAIT).until(() -> importState(b, importsOnB.get(0).importId()).equals("cancelled"));
        assertThat(JsonPath.parse(a.get("/actuator/health").body())
                .read("$.components.cancellationFleet.status", String.class)).isEqualTo("UP");
    }

    @Test
    @Order(6)
    void anInstanceShutsDownGracefullyWhileRedisIsDown() throws Exception {
        Import onB = startImport(b);
        redis.stop();
        await().atMost(WAIT).until(() -> b.get("/actuator/cancellation?scope=cluster").statusCode() == 503);

        long stopping = System.nanoTime();
        b.terminate();

        assertThat(b.awaitExit(WAIT)).as("b exits with Redis down").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(WAIT);
        assertThat(b.log()).contains("Cancellation shutdown report", "cancelled catalog-import [" + onB.taskId() + "]")
                .contains("import " + onB.importId() + ": cancelled (SHUTDOWN), deleted");
        redis.startAgain();
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** An import started on an instance, and the id of its catalog-import task there. */
    record Import(String importId, String taskId) {
    }

    /** Starts an import on {@code demo} and finds its task: the catalog-import task that was not there before. */
    private static Import startImport(DemoProcess demo) {
        List<String> before = localImportTasks(demo);
        HttpResponse<String> response = demo.post("/api/imports?batches=600");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        String importId = JsonPath.parse(response.body()).read("$.importId", String.class);
        String taskId = await().atMost(WAIT).until(() -> localImportTasks(demo).stream()
                .filter(id -> !before.contains(id)).findFirst().orElse(null), id -> id != null);
        return new Import(importId, taskId);
    }

    private static List<String> localImportTasks(DemoProcess demo) {
        return JsonPath.parse(demo.get("/actuator/cancellation?name=catalog-import").body()).read("$.tasks[*].id");
    }

    private static String importState(DemoProcess demo, String importId) {
        return JsonPath.parse(demo.get("/api/imports/" + importId).body()).read("$.state", String.class);
    }

    /** The instances of the tasks that {@code demo} lists fleet-wide (empty while it cannot). */
    private static List<String> instancesSeenBy(DemoProcess demo) {
        HttpResponse<String> response = demo.get("/actuator/cancellation?scope=cluster");
        if (response.statusCode() != 200) {
            return List.of();
        }
        return JsonPath.parse(response.body()).read("$.tasks[*].instance");
    }

    /** Whether {@code demo} lists task {@code taskId} fleet-wide. */
    private static boolean seenBy(DemoProcess demo, String taskId) {
        HttpResponse<String> response = demo.get("/actuator/cancellation?scope=cluster&name=catalog-import");
        return response.statusCode() == 200
                && JsonPath.parse(response.body()).read("$.tasks[*].id", List.class).contains(taskId);
    }
}
