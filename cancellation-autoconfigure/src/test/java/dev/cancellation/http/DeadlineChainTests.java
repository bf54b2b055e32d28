package dev.cancellation.http;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.RestClient;

/**
 * Three hops over real HTTP, each a JDK {@link HttpServer} that turns the incoming {@code X-Request-Timeout} into
 * its deadline (with the core API: {@link CancellationSource#withTimeout}), does some work, and calls the next hop
 * through a {@code RestClient} from Boot's builder. The budget shrinks at each hop; when it runs out the next call
 * is refused before it is sent.
 */
class DeadlineChainTests {

    private final List<HttpServer> hops = new ArrayList<>();
    private final BlockingQueue<String> log = new LinkedBlockingQueue<>();

    @AfterEach
    void stopHops() {
        hops.forEach(hop -> hop.stop(0));
    }

    /**
     * A hop that spends {@code workMillis} without looking at its token (like CPU work), then calls {@code next}.
     * Answers 504 when its call is refused or times out.
     */
    private URI hop(String name, long workMillis, URI next, RestClient client) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> handle(exchange, name, workMillis, next, client));
        server.start();
        hops.add(server);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + name);
    }

    private void handle(HttpExchange exchange, String name, long workMillis, URI next, RestClient client)
            throws IOException {
        String header = exchange.getRequestHeaders().getFirst("X-Request-Timeout");
        log.add(name + " budget=" + header);
        try (CancellationSource deadline = (header == null) ? CancellationSource.create()
                : CancellationSource.withTimeout(Duration.ofMillis(Long.parseLong(header)));
                Cancellation.Scope ignored = Cancellation.enter(deadline.token())) {
            Thread.sleep(workMillis);
            String downstream = (next == null) ? "" : " <- " + client.get().uri(next).retrieve().body(String.class);
            reply(exchange, 200, name + downstream);
        } catch (TaskCancelledException | HttpServerErrorException refused) {
            log.add(name + " refused: " + refused.getClass().getSimpleName());
            reply(exchange, 504, name + " ran out of time");
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            reply(exchange, 500, "interrupted");
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private String nextLog() throws InterruptedException {
        String line = log.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(line).as("next hop log line").isNotNull();
        return line;
    }

    private static long budgetOf(String line) {
        return Long.parseLong(line.substring(line.indexOf("budget=") + "budget=".length()));
    }

    private final ApplicationContextRunner runner = HttpClientTestSupport.runner()
            .withPropertyValues("spring.http.clients.imperative.factory=jdk");

    @Test
    void theBudgetShrinksAtEveryHop() {
        runner.run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            URI third = hop("c", 0, null, client);
            URI second = hop("b", 150, third, client);
            URI first = hop("a", 150, second, client);
            String answer;
            try (CancellationSource caller = CancellationSource.withTimeout(Duration.ofSeconds(5))) {
                answer = Cancellation.bind(caller.token(), () -> client.get().uri(first).retrieve().body(String.class));
            }
            assertThat(answer).isEqualTo("a <- b <- c");
            long a = budgetOf(nextLog());
            long b = budgetOf(nextLog());
            long c = budgetOf(nextLog());
            assertThat(a).isBetween(1L, 5000L);
            assertThat(b).as("hop b got what a had left after its work").isLessThanOrEqualTo(a - 150);
            assertThat(c).as("hop c got what b had left after its work").isLessThanOrEqualTo(b - 150);
        });
    }

    @Test
    void theLastHopIsRefusedWhenTheBudgetHasRunOut() {
        runner.run(context -> {
            RestClient client = context.getBean(RestClient.Builder.class).build();
            URI third = hop("c", 0, null, client);
            URI second = hop("b", 400, third, client); // spends more than it is given
            URI first = hop("a", 100, second, client);
            Throwable failure;
            try (CancellationSource caller = CancellationSource.withTimeout(Duration.ofMillis(300))) {
                failure = catchThrowable(() -> Cancellation.bind(caller.token(),
                        () -> client.get().uri(first).retrieve().body(String.class)));
            }
            // every hop shares the caller's deadline: the caller's own call times out when b's budget runs out
            assertThat(failure).isInstanceOf(TaskTimeoutException.class);
            List<String> lines = new ArrayList<>();
            while (!lines.contains("b refused: TaskTimeoutException")) {
                lines.add(nextLog());
            }
            assertThat(lines.get(0)).startsWith("a budget=");
            assertThat(budgetOf(lines.get(1))).as("b got what a had left").isLessThanOrEqualTo(300 - 100);
            assertThat(lines).as("b's call to c was refused before it was sent")
                    .noneMatch(line -> line.startsWith("c "));
        });
    }
}
