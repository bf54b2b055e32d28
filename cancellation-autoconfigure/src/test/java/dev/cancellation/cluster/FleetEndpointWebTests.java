package dev.cancellation.cluster;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.config.Customizer.withDefaults;

import com.jayway.jsonpath.JsonPath;
import dev.cancellation.actuate.RunningTasks;
import dev.cancellation.task.TaskRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The endpoint over HTTP on two applications in one fleet on a real Redis: the instance that receives a cancel
 * applies its own access rules, exactly as for a local cancel. {@code a} keeps the endpoint's default (read-only)
 * access; {@code b} allows writes.
 */
class FleetEndpointWebTests {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestRedis redis;

    private static ConfigurableApplicationContext readOnly;

    private static ConfigurableApplicationContext writable;

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        readOnly = app("a", "read-only");
        writable = app("b", "unrestricted");
        await().atMost(PROMPTLY).until(() -> readOnly.getBean(RedisFleet.class).isInFleet()
                && writable.getBean(RedisFleet.class).isInFleet());
    }

    private static ConfigurableApplicationContext app(String instance, String access) {
        return app("web", instance, access, "cancellation.cluster.secret=" + FleetMember.KEY);
    }

    private static ConfigurableApplicationContext app(String fleet, String instance, String access, String key) {
        return new SpringApplicationBuilder(App.class).properties("server.port=0", "server.address=127.0.0.1",
                "spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + redis.port(),
                "spring.data.redis.timeout=2s", "cancellation.cluster.enabled=true",
                "cancellation.cluster.name=" + fleet, "cancellation.cluster.instance-id=" + instance,
                "cancellation.cluster.heartbeat-interval=200ms", "cancellation.cluster.time-to-live=1500ms", key,
                "management.endpoints.web.exposure.include=cancellation,health",
                "management.endpoint.health.show-components=always",
                "management.endpoint.cancellation.access=" + access, "spring.jmx.enabled=false",
                "spring.web.error.include-message=always").run();
    }

    @AfterAll
    static void stop() {
        if (readOnly != null) {
            readOnly.close();
        }
        if (writable != null) {
            writable.close();
        }
        redis.close();
    }

    @Test
    void aReadOnlyInstanceListsTheFleetButCancelsNothingOnAWritableOne() throws Exception {
        RunningTasks onB = new RunningTasks(writable.getBean(TaskRegistry.class));
        RunningTasks onA = new RunningTasks(readOnly.getBean(TaskRegistry.class));
        try {
            RunningTasks.Running taskOnB = onB.start("report");
            RunningTasks.Running taskOnA = onA.start("report");
            await().atMost(PROMPTLY).until(() -> JsonPath.parse(send(readOnly, "GET",
                    "/actuator/cancellation?scope=cluster").body()).read("$.tasks[*].id", List.class)
                    .contains(taskOnB.id()));

            HttpResponse<String> throughA = send(readOnly, "DELETE", "/actuator/cancellation/" + taskOnB.id());
            HttpResponse<String> localOnA = send(readOnly, "DELETE", "/actuator/cancellation/" + taskOnA.id());

            assertThat(throughA.statusCode()).as("a refuses a remote cancel as it refuses a local one")
                    .isEqualTo(localOnA.statusCode()).isBetween(400, 499);
            assertThat(taskOnB.handle().token().isCancelled()).isFalse();
            assertThat(taskOnA.handle().token().isCancelled()).isFalse();

            // b allows writes: the same request through b cancels a's task, and names a as its instance
            HttpResponse<String> throughB = send(writable, "DELETE", "/actuator/cancellation/" + taskOnA.id());
            assertThat(throughB.statusCode()).as(throughB.body()).isEqualTo(200);
            assertThat(JsonPath.parse(throughB.body()).read("$.instance", String.class)).isEqualTo("a");
            assertThat(JsonPath.parse(throughB.body()).read("$.reason.origin", String.class))
                    .isEqualTo("actuator via b");
            taskOnA.assertCancelled();
            // a GET of b's task through a works: reads are allowed
            HttpResponse<String> read = send(readOnly, "GET", "/actuator/cancellation/" + taskOnB.id());
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(JsonPath.parse(read.body()).read("$.instance", String.class)).isEqualTo("b");
        } finally {
            onA.close();
            onB.close();
        }
    }

    @Test
    void anIdOrNameLongerThanTheWireAllowsIsA400AtOnceNotABroadcastThatTimesOutInto503() {
        String tooLong = "x".repeat(FleetWire.MAX_ID_LENGTH + 1);
        long started = System.nanoTime();

        HttpResponse<String> get = send(readOnly, "GET", "/actuator/cancellation/" + tooLong);
        HttpResponse<String> delete = send(writable, "DELETE", "/actuator/cancellation/" + tooLong);
        HttpResponse<String> post = sendJson(writable, "/actuator/cancellation",
                "{\"name\":\"" + tooLong + "\",\"scope\":\"cluster\"}");

        assertThat(get.statusCode()).as(get.body()).isEqualTo(400);
        assertThat(get.body()).contains("at most 256 characters");
        assertThat(delete.statusCode()).as(delete.body()).isEqualTo(400);
        assertThat(post.statusCode()).as(post.body()).isEqualTo(400);
        assertThat(post.body()).contains("task name of 257 characters");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("no request timeout was waited for")
                .isLessThan(FleetMember.REQUEST_TIMEOUT.multipliedBy(3));
    }

    @Test
    void withoutAFleetKeyACancelThroughAnotherInstanceIsA503SayingHowToSetTheKey() throws Exception {
        ConfigurableApplicationContext c = app("open", "c", "unrestricted", "cancellation.cluster.secret=");
        ConfigurableApplicationContext d = app("open", "d", "unrestricted", "cancellation.cluster.secret=");
        RunningTasks onD = new RunningTasks(d.getBean(TaskRegistry.class));
        try {
            await().atMost(PROMPTLY).until(() -> c.getBean(RedisFleet.class).isInFleet()
                    && d.getBean(RedisFleet.class).isInFleet());
            RunningTasks.Running task = onD.start("report");

            HttpResponse<String> read = send(c, "GET", "/actuator/cancellation/" + task.id());
            HttpResponse<String> cancel = send(c, "DELETE", "/actuator/cancellation/" + task.id());
            HttpResponse<String> local = send(d, "DELETE", "/actuator/cancellation/" + task.id());

            assertThat(read.statusCode()).as("look-ups work without a key").isEqualTo(200);
            assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(503);
            assertThat(JsonPath.parse(cancel.body()).read("$.message", String.class))
                    .contains("cancellation.cluster.secret", "instance d");
            assertThat(local.statusCode()).as("the owner itself cancels").isEqualTo(200);
            task.assertCancelled();
        } finally {
            onD.close();
            c.close();
            d.close();
        }
    }

    @Test
    void unknownScopeIsA400NamingIt() {
        HttpResponse<String> response = send(readOnly, "GET", "/actuator/cancellation?scope=galaxy");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("Unknown scope 'galaxy'");
    }

    @Test
    void theHealthContributorSaysTheInstanceIsInTheFleet() {
        HttpResponse<String> response = send(readOnly, "GET", "/actuator/health");
        assertThat(JsonPath.parse(response.body()).read("$.components.cancellationFleet.status", String.class))
                .isEqualTo("UP");
    }

    private static HttpResponse<String> send(ConfigurableApplicationContext app, String method, String path) {
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build());
    }

    private static HttpResponse<String> sendJson(ConfigurableApplicationContext app, String path, String json) {
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
                .timeout(Duration.ofSeconds(30)).build());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        /** Everything open: writes are governed by the endpoint's access alone. */
        @Bean
        SecurityFilterChain open(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll()).httpBasic(withDefaults())
                    .csrf(csrf -> csrf.disable()).build();
        }
    }
}
