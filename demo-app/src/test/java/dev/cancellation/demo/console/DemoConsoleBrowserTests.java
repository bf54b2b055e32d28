package dev.cancellation.demo.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import dev.cancellation.console.Browser;
import dev.cancellation.demo.imports.CatalogImportService;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The demo's own console in a real headless Chromium: it lists the demo's running nightly report with its step as a
 * child, and the running catalog import; its buttons cancel the import (whose cleanup deletes the partial output)
 * and the job (which Spring Batch records {@code STOPPED} with the reason), and both then show in the history.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "server.address=127.0.0.1", "demo.workers.count=0", "demo.batch.chunk=5", "demo.batch.item-delay=200ms",
        "demo.imports.batch-interval=200ms" })
class DemoConsoleBrowserTests {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path outputDir;

    @DynamicPropertySource
    static void outputDir(DynamicPropertyRegistry registry) {
        registry.add("demo.output-dir", outputDir::toString);
    }

    private static Browser browser;

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    @Autowired
    CatalogImportService imports;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startBrowser() throws IOException {
        browser = Browser.start();
    }

    @AfterAll
    static void stopBrowser() {
        browser.close();
    }

    @Test
    void listsTheDemosTasksWithTheJobsStepAsItsChildAndItsButtonsCancelThem() throws Exception {
        HttpResponse<String> job = send("POST", "/api/batch/nightly-report?items=200");
        assertThat(job.statusCode()).as(job.body()).isEqualTo(202);
        long executionId = JsonPath.parse(job.body()).read("$.executionId", Long.class);
        HttpResponse<String> started = send("POST", "/api/imports?batches=1000");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String importId = JsonPath.read(started.body(), "$.importId");
        await("the import's first batch written").atMost(WAIT).until(() -> !imports.files(importId).isEmpty());
        TaskInfo report = awaitTask("batch:nightlyReport");
        TaskInfo step = awaitTask("batch:nightlyReport/totals");
        TaskInfo catalogImport = awaitTask("catalog-import");

        browser.driver.get("http://127.0.0.1:" + port + "/actuator/cancellationconsole");

        WebElement reportRow = awaitElement("tr[data-task-id='" + report.id() + "']");
        WebElement stepRow = awaitElement("tr[data-task-id='" + step.id() + "']");
        assertThat(reportRow.getText()).contains("batch:nightlyReport", "RUNNING");
        assertThat(stepRow.getAttribute("data-parent-id")).isEqualTo(report.id());
        assertThat(stepRow.getAttribute("data-depth")).isEqualTo("1");
        assertThat(awaitElement("tr[data-task-id='" + catalogImport.id() + "']").getText())
                .contains("catalog-import", "RUNNING");
        browser.screenshot("demo-console");

        cancelWithTheButton(catalogImport);
        // the import's @OnCancel cleanup deleted its partial output
        await("the partial output deleted").atMost(WAIT).until(() -> imports.files(importId).isEmpty());
        assertThat(JsonPath.parse(send("GET", "/api/imports/" + importId).body()).read("$.state", String.class))
                .isEqualTo("cancelled");
        assertThat(awaitElement("tr[data-history-id='" + catalogImport.id() + "'][data-state='CANCELLED']")
                .getText()).contains("catalog-import", "REQUESTED");

        cancelWithTheButton(report);
        DocumentContext stopped = await("the job recorded STOPPED").atMost(WAIT)
                .until(() -> JsonPath.parse(send("GET", "/api/batch/nightly-report/" + executionId).body()),
                        status -> "STOPPED".equals(status.read("$.status")) && String.valueOf(
                                status.read("$.exitDescription", String.class)).contains("cancelled:"));
        assertThat(stopped.read("$.exitDescription", String.class)).startsWith("cancelled: REQUESTED");
        assertThat(awaitElement("tr[data-history-id='" + report.id() + "'][data-state='CANCELLED']").getText())
                .contains("batch:nightlyReport", "REQUESTED");
    }

    private void cancelWithTheButton(TaskInfo task) {
        awaitElement("button[data-action='cancel'][data-task-id='" + task.id() + "']").click();
        assertThat(browser.driver.switchTo().alert().getText()).contains(task.name(), task.id());
        browser.driver.switchTo().alert().accept();
    }

    private TaskInfo awaitTask(String name) {
        return await(name + " running").atMost(WAIT).until(() -> registry.list().stream()
                .filter(task -> task.name().equals(name)).findFirst(), Optional::isPresent).get();
    }

    private WebElement awaitElement(String css) {
        return await(css).atMost(WAIT).ignoreExceptions()
                .until(() -> browser.driver.findElement(By.cssSelector(css)), element -> element != null);
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
