package dev.cancellation.r2dbc;

import static dev.cancellation.r2dbc.R2dbcTestSupport.STOPPED_WITHIN;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.jdbc.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * A WebFlux request (a real Reactor Netty server on loopback) whose caller sends {@code X-Request-Timeout}: the
 * request's token reaches the R2DBC statement through the Reactor context, and when the budget is spent the
 * caller gets its 504 and the query is gone from the server.
 */
@SpringBootTest(classes = WebFluxR2dbcTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.main.web-application-type=reactive", "server.address=127.0.0.1",
            "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s", "spring.autoconfigure.exclude="})
class WebFluxR2dbcTests {

    @LocalServerPort
    int port;

    @Autowired
    CancellableConnectionFactoryPostProcessor postProcessor;

    @Autowired
    DatabaseClient client;

    @DynamicPropertySource
    static void r2dbc(DynamicPropertyRegistry registry) {
        for (String property : R2dbcTestSupport.properties(2)) {
            int equals = property.indexOf('=');
            registry.add(property.substring(0, equals), () -> property.substring(equals + 1));
        }
    }

    @Test
    void aRequestWhoseBudgetIsSpentAnswers504AndItsQueryIsGoneFromTheServer() {
        assertThat(client.sql("select 1").map(row -> row.get(0, Integer.class)).one().block(PROMPTLY)).isOne();
        CompletableFuture<HttpResponse<String>> response = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/r2dbc/slow"))
                        .header("X-Request-Timeout", "1500").timeout(PROMPTLY).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(PROMPTLY).until(() -> !EmbeddedPostgres.activeQueries("r2dbc-web-marker").isEmpty());
        assertThat(response).succeedsWithin(PROMPTLY).extracting(HttpResponse::statusCode).isEqualTo(504);
        await().atMost(STOPPED_WITHIN).until(() -> EmbeddedPostgres.activeQueries("r2dbc-web-marker").isEmpty());
        assertThat(postProcessor.canceller().cancelledStatements()).isOne();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = {
        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.reactive."
                + "ReactiveManagementWebSecurityAutoConfiguration"})
    @Import(App.Endpoint.class)
    static class App {

        @RestController
        static class Endpoint {

            private final DatabaseClient client;

            Endpoint(DatabaseClient client) {
                this.client = client;
            }

            @GetMapping("/r2dbc/slow")
            Mono<Integer> slow() {
                return PostgresR2dbcTests.sleep(client, 20, "r2dbc-web-marker");
            }
        }
    }
}
