package dev.cancellation.demo.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL walkthrough against the packaged demo: a slow query over its budget answers 504 and is cancelled on
 * the server, on the embedded H2 (the default) and on a real PostgreSQL named by {@code spring.datasource.url}.
 */
class DemoSqlIT {

    @TempDir
    Path workDir;

    @Test
    void aSlowQueryOnTheEmbeddedH2IsCancelledAtItsBudgetWith504() throws IOException {
        DemoProcess demo = DemoProcess.start(workDir);
        try {
            assertCancelledAtBudget(demo, "H2");
        } finally {
            demo.close("DemoSqlIT-h2");
        }
    }

    @Test
    void aSlowQueryOnPostgresqlIsCancelledAtItsBudgetWith504() throws IOException {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
            DemoProcess demo = DemoProcess.start(workDir,
                    "--spring.datasource.url=" + postgres.getJdbcUrl("postgres", "postgres"));
            try {
                assertCancelledAtBudget(demo, "PostgreSQL");
            } finally {
                demo.close("DemoSqlIT-postgresql");
            }
        }
    }

    private static void assertCancelledAtBudget(DemoProcess demo, String database) {
        long start = System.nanoTime();
        HttpResponse<String> response = demo.get("/api/sql/slow?seconds=20");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        DocumentContext body = JsonPath.parse(response.body());
        assertThat(body.read("$.title", String.class)).isEqualTo("Task timed out");
        assertThat(body.read("$.reason.kind", String.class)).isEqualTo("TIMEOUT");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1900)).isLessThan(Duration.ofSeconds(12));
        // logged by the thread that cancelled the statement, possibly after the answer
        await("the server-side cancel logged").atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                demo.log()).containsPattern(
                        "StatementCanceller +SQL statement cancelled on the server, \\d+ ms after it started: TIMEOUT"));

        HttpResponse<String> quick = demo.get("/api/sql/slow?seconds=0");
        assertThat(quick.statusCode()).as(quick.body()).isEqualTo(200);
        assertThat(JsonPath.parse(quick.body()).read("$.database", String.class)).isEqualTo(database);
    }
}
