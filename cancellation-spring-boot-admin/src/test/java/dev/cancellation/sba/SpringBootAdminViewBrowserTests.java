package dev.cancellation.sba;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.TaskCancelledException;
import dev.cancellation.console.Browser;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The "Cancellation" view inside a real Spring Boot Admin server (started by the test, with this module on its class
 * path) in a real headless Chromium. The application (with the starter, its endpoint exposed and writable) is
 * registered to the server through Spring Boot Admin's REST API; the operator opens the instance, follows the
 * sidebar's "Cancellation" link, sees the running import with its child, cancels it with the button and its
 * confirmation through Spring Boot Admin's proxy, the import's cleanup runs and the view shows it in the history. An
 * instance without the endpoint gets no such view.
 */
@SpringBootTest(classes = CatalogApp.class, webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "server.address=127.0.0.1", "spring.application.name=catalog",
                "management.endpoints.web.exposure.include=health,cancellation,metrics",
                "management.endpoint.cancellation.access=unrestricted" })
class SpringBootAdminViewBrowserTests {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static ConfigurableApplicationContext admin;

    private static Browser browser;

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    @Autowired
    CatalogApp.CatalogImport catalogImport;

    @Autowired
    CatalogApp.Rows rows;

    private CompletableFuture<Void> running;

    @BeforeAll
    static void startAdminServerAndBrowser() throws IOException {
        admin = new SpringApplicationBuilder(AdminServer.class)
                .properties("server.port=0", "server.address=127.0.0.1", "spring.application.name=admin",
                        "management.endpoints.web.exposure.include=health,info")
                .run();
        browser = Browser.start();
    }

    @AfterAll
    static void stopAdminServerAndBrowser() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            admin.close();
        }
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
    void theServerServesTheExtensionAndTheStartersOwnConsoleScript() throws Exception {
        HttpResponse<String> home = get(admin("/"));
        HttpResponse<String> extension = get(admin("/extensions/cancellation/index.js"));
        HttpResponse<String> script = get(admin("/cancellation/console.js"));

        assertThat(home.body()).contains("extensions/cancellation/index.js", "extensions/cancellation/cancellation.css");
        assertThat(extension.statusCode()).isEqualTo(200);
        assertThat(extension.body()).contains("SBA.use(", "hasEndpoint('cancellation')");
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .matches("(text|application)/javascript.*"));
        // one implementation: the very file the starter's own console serves
        try (InputStream starters = getClass().getClassLoader()
                .getResourceAsStream("META-INF/cancellation-console/console.js")) {
            assertThat(starters).as("the starter's console.js").isNotNull();
            assertThat(script.body()).isEqualTo(new String(starters.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void listsTheRunningTaskWithItsChildCancelsItWithTheButtonAndShowsItInTheHistory() throws Exception {
        String instance = register("catalog", "http://127.0.0.1:" + port, "cancellation");
        running = CompletableFuture.runAsync(this::runImport);
        TaskInfo root = awaitTask("CatalogImport.run");
        TaskInfo child = awaitTask("CatalogImport.fetchRows");
        assertThat(child.parentId()).isEqualTo(root.id());

        // the way an operator gets there: the instance's page, then the sidebar's link
        browser.driver.get(admin("/instances/" + instance + "/details").toString());
        click("a[href$='/instances/" + instance + "/cancellation']");

        WebElement rootRow = awaitElement("tr[data-task-id='" + root.id() + "']");
        WebElement childRow = awaitElement("tr[data-task-id='" + child.id() + "']");
        assertThat(browser.driver.getCurrentUrl()).endsWith("/instances/" + instance + "/cancellation");
        assertThat(rootRow.getText()).contains("CatalogImport.run", "RUNNING");
        assertThat(childRow.getAttribute("data-parent-id")).isEqualTo(root.id());
        assertThat(childRow.getAttribute("data-depth")).isEqualTo("1");
        assertThat(childRow.getText()).contains("CatalogImport.fetchRows", "RUNNING");
        assertThat(browser.driver.findElement(By.id("cancellation-console")).getAttribute("data-writable"))
                .isEqualTo("true");
        browser.screenshot("spring-boot-admin-view");

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
    }

    @Test
    void anInstanceWithoutTheEndpointHasNoCancellationView() throws Exception {
        // the admin server itself exposes health and info, and no cancellation endpoint
        String instance = register("admin", admin("").toString(), "info");

        browser.driver.get(admin("/instances/" + instance + "/details").toString());

        // the sidebar lists the instance's views once it has its endpoints: the details view, not this one
        awaitElement("a[href$='/instances/" + instance + "/details']");
        assertThat(browser.driver.findElements(By.cssSelector("a[href$='/instances/" + instance + "/cancellation']")))
                .isEmpty();
    }

    /**
     * Registers an application with the admin server as its REST API allows, and waits until the server has read its
     * endpoints from its actuator (it then knows {@code endpoint}).
     */
    private String register(String name, String url, String endpoint) throws Exception {
        String registration = """
                {"name": "%s", "managementUrl": "%s/actuator", "healthUrl": "%s/actuator/health", "serviceUrl": "%s/"}
                """.formatted(name, url, url, url);
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(admin("/instances"))
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(registration)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Matcher id = ID.matcher(created.body());
        assertThat(id.find()).as(created.body()).isTrue();
        String instance = id.group(1);
        await().atMost(PROMPTLY).untilAsserted(() -> assertThat(get(admin("/instances/" + instance), "application/json").body())
                .contains("\"id\":\"" + endpoint + "\""));
        return instance;
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

    private static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return get(uri, "*/*");
    }

    /** Spring Boot Admin answers its UI's paths with its page unless JSON is asked for. */
    private static HttpResponse<String> get(URI uri, String accept) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static URI admin(String path) {
        return URI.create("http://127.0.0.1:" + admin.getEnvironment().getProperty("local.server.port") + path);
    }
}
