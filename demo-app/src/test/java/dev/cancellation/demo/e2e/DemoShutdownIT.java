package dev.cancellation.demo.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to the packaged demo while an import, a fan-out sync and the background workers run: the process
 * exits 0 within its configured shutdown bound, the cleanups ran (in the log and on disk) and the shutdown report
 * lists what was cancelled.
 */
class DemoShutdownIT {

    /** {@code cancellation.shutdown.timeout} of the process under test. */
    static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    /** {@code cancellation.shutdown.last-grace} of the process under test. */
    static final Duration LAST_GRACE = Duration.ofSeconds(1);

    /** JVM and web server stop, log flushing: generous for a loaded CI box, far below the work's own length. */
    static final Duration SLACK = Duration.ofSeconds(10);

    @TempDir
    static Path workDir;

    static DemoProcess demo;

    @BeforeAll
    static void startDemo() throws IOException {
        // The import alone would take 10 minutes, the sync 5: only the shutdown can end them in time.
        demo = DemoProcess.start(workDir,
                "--cancellation.shutdown.timeout=" + SHUTDOWN_TIMEOUT.toSeconds() + "s",
                "--cancellation.shutdown.last-grace=" + LAST_GRACE.toSeconds() + "s",
                "--demo.imports.batches=600", "--demo.sync.pages=300", "--demo.workers.interval=500ms",
                // Longer than the bound asserted below: the tasks must be cancelled, not waited for by the
                // executors until their phase times out.
                "--spring.lifecycle.timeout-per-shutdown-phase=30s");
    }

    @AfterAll
    static void stopDemo() {
        if (demo != null) {
            demo.close("DemoShutdownIT");
        }
    }

    @Test
    void sigtermCancelsRunningTasksRunsTheirCleanupsAndExitsZeroWithinTheBound() throws Exception {
        await("three workers running").atMost(Duration.ofSeconds(15))
                .until(() -> liveCount("order-events-worker") == 3);
        String importId = JsonPath.read(demo.post("/api/imports").body(), "$.importId");
        Path importDir = demo.outputDir().resolve("imports").resolve(importId);
        assertThat(demo.post("/api/sync").statusCode()).isEqualTo(202);
        await("partial import output").atMost(Duration.ofSeconds(30)).until(() -> fileCount(importDir) >= 2);
        await("the sync and its three regions running").atMost(Duration.ofSeconds(15))
                .until(() -> liveCount("catalog-sync") == 1 && liveCount("region-sync") == 3);

        long start = System.nanoTime();
        demo.terminate();
        Duration bound = SHUTDOWN_TIMEOUT.plus(LAST_GRACE).plus(SLACK);
        boolean exited = demo.awaitExit(bound);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        String log = demo.log();
        assertThat(exited).as("exited within %s; log:%n%s", bound, log).isTrue();
        assertThat(demo.process().exitValue()).as(log).isZero();
        assertThat(took).isLessThan(bound);

        // Cleanups ran: in the log...
        assertThat(log).contains("import " + importId + ": cancelled (SHUTDOWN), deleted",
                "worker-1: stopped (SHUTDOWN), committed offset", "worker-2: stopped (SHUTDOWN), committed offset",
                "worker-3: stopped (SHUTDOWN), committed offset", "region eu-west: cancelled (SHUTDOWN)");
        // ... and on disk: the partial import is gone, each worker's offset is committed.
        assertThat(importDir).doesNotExist();
        for (String worker : List.of("worker-1", "worker-2", "worker-3")) {
            Path checkpoint = demo.outputDir().resolve("workers").resolve(worker + ".offset");
            assertThat(checkpoint).exists();
            assertThat(Long.parseLong(Files.readString(checkpoint).trim())).isPositive();
        }
        // The shutdown report lists what was cancelled, and nothing was abandoned.
        assertThat(log).containsPattern("Cancellation shutdown report: 8 task\\(s\\) running, \\d+ cancelled, "
                + "7 cleaned up, 0 cleanup\\(s\\) failed, 0 cleanup\\(s\\) timed out, 0 abandoned");
        assertThat(log).containsPattern("cancelled catalog-import \\[\\w+\\]")
                .containsPattern("cancelled order-events-worker \\[\\w+\\]")
                .containsPattern("cancelled (catalog-sync|region-sync) \\[\\w+\\]");
    }

    private static int liveCount(String name) {
        return JsonPath.read(demo.get("/actuator/cancellation?name=" + name).body(), "$.summary.total");
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
