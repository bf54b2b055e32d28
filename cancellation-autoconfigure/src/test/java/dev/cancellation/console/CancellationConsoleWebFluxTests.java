package dev.cancellation.console;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.context.annotation.Bean;

/**
 * The console on a WebFlux management server of its own (Reactor Netty, {@code management.server.port}) under
 * another base path and path mappings: the page is served there, finds the {@code cancellation} endpoint by its
 * mapping, and lists a running task in a real headless Chromium.
 */
@SpringBootTest(classes = CancellationConsoleWebFluxTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "spring.main.web-application-type=reactive", "server.address=127.0.0.1",
                "management.server.port=0", "management.server.address=127.0.0.1",
                "management.endpoints.web.base-path=/manage", "cancellation.console.enabled=true",
                "management.endpoints.web.path-mapping.cancellation=tasks",
                "management.endpoints.web.path-mapping.cancellationconsole=console",
                "management.endpoints.web.exposure.include=cancellation,cancellationconsole" })
class CancellationConsoleWebFluxTests {

    @LocalManagementPort
    int managementPort;

    @Autowired
    TaskRegistry registry;

    @Autowired
    ConsoleApp.CatalogImport catalogImport;

    @Test
    void servesThePageOnTheManagementServerAndListsTheTasksOfTheRemappedEndpoint() throws Exception {
        URI page = URI.create("http://127.0.0.1:" + managementPort + "/manage/console");
        HttpResponse<String> html = HttpClient.newHttpClient().send(HttpRequest.newBuilder(page).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(html.statusCode()).isEqualTo(200);
        assertThat(html.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("text/html"));
        assertThat(html.body()).contains("<meta name=\"cancellation-endpoint\" content=\"tasks\">");

        CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
            try {
                catalogImport.run();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        try (Browser browser = Browser.start()) {
            TaskInfo root = await().atMost(PROMPTLY).until(
                    () -> registry.list("CatalogImport.run", TaskState.RUNNING), tasks -> !tasks.isEmpty()).get(0);

            browser.driver.get(page.toString());

            WebElement row = await().atMost(PROMPTLY).ignoreExceptions().until(() -> browser.driver.findElement(
                    By.cssSelector("tr[data-task-id='" + root.id() + "']")), WebElement::isDisplayed);
            assertThat(row.getText()).contains("CatalogImport.run", "RUNNING");
            assertThat(browser.driver.findElements(By.cssSelector("button[data-action]"))).isEmpty();
        } finally {
            registry.cancelAll("CatalogImport.run", CancellationReason.requested("test"), false);
        }
        assertThat(running).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                .isInstanceOf(TaskCancelledException.class);
    }

    /**
     * The console's application on WebFlux, without Spring Security (not what this test is about), and without
     * Tomcat's reactive management context (the test class path has Tomcat too; an application has one server).
     */
    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = {
        "org.springframework.boot.tomcat.autoconfigure.actuate.web.server.TomcatReactiveManagementContextAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.reactive."
                + "ReactiveManagementWebSecurityAutoConfiguration"})
    static class App {

        @Bean
        ConsoleApp.Rows rows() {
            return new ConsoleApp.Rows();
        }

        @Bean
        ConsoleApp.CatalogImport catalogImport(ConsoleApp.Rows rows) {
            return new ConsoleApp.CatalogImport(rows);
        }
    }
}
