package dev.cancellation.console;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The console in a real headless Chromium against an endpoint with its default, read-only access: the page lists
 * the tasks but offers no cancel button at all.
 */
@SpringBootTest(classes = ConsoleApp.class, webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "server.address=127.0.0.1", "cancellation.console.enabled=true",
                "management.endpoints.web.exposure.include=cancellation,cancellationconsole" })
class CancellationConsoleReadOnlyBrowserTests {

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    @Autowired
    ConsoleApp.CatalogImport catalogImport;

    @Autowired
    ConsoleApp.Rows rows;

    @Test
    void aReadOnlyEndpointShowsTheTasksWithoutAnyButton() throws Exception {
        rows.rearm();
        CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
            try {
                catalogImport.run();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        try (Browser browser = Browser.start()) {
            TaskInfo child = await().atMost(PROMPTLY).until(
                    () -> registry.list("CatalogImport.fetchRows", TaskState.RUNNING), tasks -> !tasks.isEmpty()).get(0);

            browser.driver.get("http://127.0.0.1:" + port + "/actuator/cancellationconsole");

            WebElement row = await().atMost(PROMPTLY).ignoreExceptions().until(() -> browser.driver.findElement(
                    By.cssSelector("tr[data-task-id='" + child.id() + "']")), WebElement::isDisplayed);
            assertThat(row.getText()).contains("CatalogImport.fetchRows", "RUNNING");
            assertThat(browser.driver.findElement(By.cssSelector("tr[data-task-id='" + child.parentId() + "']"))
                    .getText()).contains("CatalogImport.run");
            assertThat(browser.driver.findElement(By.id("cancellation-console")).getAttribute("data-writable"))
                    .isEqualTo("false");
            assertThat(browser.driver.findElements(By.cssSelector("button[data-action]"))).isEmpty();
            assertThat(browser.driver.findElements(By.tagName("button"))).isEmpty();
            browser.screenshot("console-read-only");
        } finally {
            registry.cancelAll("CatalogImport.run", CancellationReason.requested("test"), false);
        }
        assertThat(running).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                .isInstanceOf(TaskCancelledException.class);
    }
}
