package dev.cancellation.console;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The console in a real headless Chromium, against a running application whose endpoint allows cancelling: the
 * page lists the running import with its child, its button cancels it, the import's {@code @OnCancel} cleanup runs,
 * and the page then shows it in the history and in its chart of cancels; a refused cancel shows the server's problem
 * detail.
 */
@SpringBootTest(classes = ConsoleApp.class, webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "server.address=127.0.0.1", "cancellation.console.enabled=true",
                "management.endpoints.web.exposure.include=cancellation,cancellationconsole,metrics",
                "management.endpoint.cancellation.access=unrestricted" })
class CancellationConsoleBrowserTests {

    private static Browser browser;

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    @Autowired
    ConsoleApp.CatalogImport catalogImport;

    @Autowired
    ConsoleApp.Rows rows;

    private CompletableFuture<Void> running;

    @BeforeAll
    static void startBrowser() throws IOException {
        browser = Browser.start();
    }

    @AfterAll
    static void stopBrowser() {
        browser.close();
    }

    @BeforeEach
    void rearm() {
        rows.rearm();
    }

    @AfterEach
    void finishTheImport() {
        rows.release();
        if (running != null) {
            assertThat(running).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                    .isInstanceOf(TaskCancelledException.class);
        }
    }

    @Test
    void servesThePageAndItsScriptUnderTheManagementBasePath() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> page = client.send(HttpRequest.newBuilder(url("/actuator/cancellationconsole")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> script = client.send(
                HttpRequest.newBuilder(url("/actuator/cancellationconsole/console.js")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> other = client.send(
                HttpRequest.newBuilder(url("/actuator/cancellationconsole/index.html")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("text/html"));
        assertThat(page.body()).contains("<title>Cancellation console</title>");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("text/javascript"));
        assertThat(script.body()).contains("export function mount(");
        assertThat(other.statusCode()).isEqualTo(404);
    }

    @Test
    void listsTheRunningTaskWithItsChildCancelsItWithTheButtonAndShowsItInTheHistory() throws Exception {
        running = CompletableFuture.runAsync(this::runImport);
        TaskInfo root = awaitTask("CatalogImport.run");
        TaskInfo child = awaitTask("CatalogImport.fetchRows");
        assertThat(child.parentId()).isEqualTo(root.id());

        browser.driver.get(url("/actuator/cancellationconsole").toString());

        WebElement rootRow = awaitElement("tr[data-task-id='" + root.id() + "']");
        WebElement childRow = awaitElement("tr[data-task-id='" + child.id() + "']");
        assertThat(rootRow.getText()).contains("CatalogImport.run", "RUNNING").contains(" min "); // deadline left
        assertThat(childRow.findElements(By.tagName("td")).get(3).getText()).contains(" min ");
        assertThat(childRow.getAttribute("data-parent-id")).isEqualTo(root.id());
        assertThat(childRow.getAttribute("data-depth")).isEqualTo("1");
        assertThat(childRow.getText()).contains("CatalogImport.fetchRows", "RUNNING");
        assertThat(browser.driver.findElement(By.id("cancellation-console")).getAttribute("data-writable"))
                .isEqualTo("true");
        assertThat(browser.driver.findElements(By.cssSelector("button[data-action='cancel-all'][data-name="
                + "'CatalogImport.run']"))).hasSize(1);
        browser.screenshot("console-running");

        click("button[data-action='cancel'][data-task-id='" + root.id() + "']");
        Alert confirm = browser.driver.switchTo().alert();
        assertThat(confirm.getText()).contains("CatalogImport.run", root.id());
        confirm.accept();

        assertThat(running).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                .isInstanceOf(TaskCancelledException.class);
        running = null;
        assertThat(catalogImport.cleanedUp().poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(root.id());
        WebElement history = awaitElement("tr[data-history-id='" + root.id() + "'][data-state='CANCELLED']");
        assertThat(history.getText()).contains("CatalogImport.run", "REQUESTED", "by actuator");
        assertThat(browser.driver.findElement(By.cssSelector("[data-role='message']")).getText())
                .contains("Cancelled CatalogImport.run (" + root.id() + ")");
        await().atMost(PROMPTLY).ignoreExceptions().until(() -> browser.driver.findElements(
                By.cssSelector("tr[data-task-id='" + root.id() + "']")).isEmpty());
        // the chart reads /actuator/metrics every 10 s: the cancel shows up as a requested one, with its stop
        WebElement requested = awaitElement("[data-role='metrics'] li[data-reason='requested']");
        assertThat(requested.getText()).containsPattern("requested: [1-9][0-9]* cancel\\(s\\)");
        await().atMost(PROMPTLY).ignoreExceptions().untilAsserted(() -> assertThat(browser.driver.findElement(
                By.cssSelector("[data-role='latency']")).getText()).startsWith("Stop latency: mean "));
        browser.screenshot("console-history");
    }

    @Test
    void cancelsEveryTaskOfANameWithTheButton() throws Exception {
        running = CompletableFuture.runAsync(this::runImport);
        TaskInfo root = awaitTask("CatalogImport.run");

        browser.driver.get(url("/actuator/cancellationconsole").toString());
        awaitElement("tr[data-task-id='" + root.id() + "']");
        click("button[data-action='cancel-all'][data-name='CatalogImport.run']");
        Alert confirm = browser.driver.switchTo().alert();
        assertThat(confirm.getText()).contains("CatalogImport.run");
        confirm.accept();

        assertThat(running).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                .isInstanceOf(TaskCancelledException.class);
        running = null;
        assertThat(catalogImport.cleanedUp().poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(root.id());
        awaitElement("tr[data-history-id='" + root.id() + "'][data-state='CANCELLED']");
        assertThat(browser.driver.findElement(By.cssSelector("[data-role='message']")).getText())
                .contains("Cancelled 1 task(s) named CatalogImport.run");
    }

    @Test
    void aRefusedCancelShowsTheServersProblemDetail() throws Exception {
        CompletableFuture<Void> finishing = CompletableFuture.runAsync(this::runImport);
        TaskInfo root = awaitTask("CatalogImport.run");
        browser.driver.get(url("/actuator/cancellationconsole").toString());
        awaitElement("tr[data-task-id='" + root.id() + "']");
        // paused, the page keeps showing the task after it has finished, so its cancel reaches an unknown id
        browser.driver.findElement(By.cssSelector("input[data-filter='pause']")).click();
        rows.release();
        assertThat(finishing).succeedsWithin(PROMPTLY);
        await().atMost(PROMPTLY).until(() -> registry.findIncludingHistory(root.id()).isEmpty());

        click("button[data-action='cancel'][data-task-id='" + root.id() + "']");
        browser.driver.switchTo().alert().accept();

        WebElement message = awaitElement("[data-role='message'][data-outcome='refused']");
        assertThat(message.getText()).contains("404", "No live or recent task has id '" + root.id() + "'");
        assertThat(catalogImport.cleanedUp()).doesNotContain(root.id());
    }

    private void runImport() {
        try {
            catalogImport.run();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    private TaskInfo awaitTask(String name) {
        return await().atMost(PROMPTLY).until(() -> registry.list(name, TaskState.RUNNING), tasks -> !tasks.isEmpty())
                .get(0);
    }

    private WebElement awaitElement(String css) {
        return await().atMost(PROMPTLY).ignoreExceptions()
                .until(() -> browser.driver.findElement(By.cssSelector(css)), element -> element.isDisplayed());
    }

    /** Clicks the element, found afresh each try: a refresh may replace it between finding and clicking. */
    private void click(String css) {
        await().atMost(PROMPTLY).ignoreExceptions().untilAsserted(() -> browser.driver.findElement(
                By.cssSelector(css)).click());
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
