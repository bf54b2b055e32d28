package dev.cancellation.demo.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.jayway.jsonpath.JsonPath;
import dev.cancellation.demo.DemoApplication;
import dev.cancellation.demo.orders.DeadLetters.DeadLetter;
import dev.cancellation.demo.orders.OrderEventLog.Entry;
import dev.cancellation.demo.orders.OrderEventLog.State;
import dev.cancellation.messaging.ListenerInvocations;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The demo's order events on its embedded Artemis broker, as the walkthrough shows them (step 8), each through the
 * demo's own endpoints over real HTTP: a stop mid-message rolls the message back and the next start of the
 * application processes it to the end, once; an event that waited in the queue past its deadline is never processed
 * and lands in the dead-letter queue; an operator's cancel through the actuator stops an event, runs its cleanup and
 * dead-letters it, never to be redelivered.
 */
class OrderEventsTests {

    /** Far above what each wait needs on a quiet machine (well under a second), for a loaded build box. */
    private static final Duration PROMPTLY = Duration.ofSeconds(30);

    /** The invocation tasks' name: {@code <listener id> <queue>}. */
    private static final String INVOCATION = "order-events orders.events";

    @TempDir
    Path outputDir;

    private final List<ConfigurableApplicationContext> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void closeAll() {
        started.forEach(ConfigurableApplicationContext::close);
    }

    /**
     * The demo, on a free port, with its output (and the broker's journal) in this test's directory, each step of an
     * order event taking {@code stepDelay}.
     */
    private ConfigurableApplicationContext startDemo(String stepDelay) {
        String[] args = {"--server.port=0", "--demo.output-dir=" + outputDir, "--demo.workers.count=1",
                "--demo.orders.step-delay=" + stepDelay, "--cancellation.messaging.shutdown-drain=300ms",
                "--spring.jms.listener.receive-timeout=200ms"};
        ConfigurableApplicationContext context = new SpringApplicationBuilder(DemoApplication.class)
                .run(args);
        started.add(context);
        return context;
    }

    @Test
    void aStopMidMessageRollsItBackAndTheNextStartProcessesItToTheEndOnce() throws Exception {
        ConfigurableApplicationContext first = startDemo("100ms");
        String orderId = sendOne(first, "steps=200"); // 20 s of steps: only the stop can end it in time
        OrderEventLog firstLog = first.getBean(OrderEventLog.class);
        DeadLetters firstDeadLetters = first.getBean(DeadLetters.class);
        await("the event half-way").atMost(PROMPTLY).until(() -> stepsDone(firstLog, orderId) >= 3);

        long stopping = System.nanoTime();
        first.close();
        Duration stop = Duration.ofNanos(System.nanoTime() - stopping);

        // Cancelled with SHUTDOWN after the 300 ms drain, not waited for (20 s), and its steps undone.
        assertThat(stop).isLessThan(Duration.ofSeconds(15));
        Entry stopped = firstLog.get(orderId);
        assertThat(stopped).isNotNull();
        assertThat(stopped.state()).isEqualTo(State.CANCELLED);
        assertThat(stopped.cancelledBy()).isEqualTo("SHUTDOWN");
        assertThat(stopped.cleanedUp()).isTrue();
        assertThat(stopped.completions()).isZero();
        assertThat(firstDeadLetters.letters()).isEmpty();

        // The next start of the application (same broker journal) gets the message again and finishes it.
        ConfigurableApplicationContext second = startDemo("5ms");
        OrderEventLog secondLog = second.getBean(OrderEventLog.class);
        await("the event redelivered and processed").atMost(PROMPTLY)
                .until(() -> secondLog.get(orderId) != null && secondLog.get(orderId).state() == State.DONE);
        Entry processed = secondLog.get(orderId);
        assertThat(processed.completions()).isEqualTo(1);
        assertThat(processed.deliveries()).isEqualTo(1);
        assertThat(processed.stepsDone()).isEqualTo(200);
        assertThat(processed.deliveryCount()).isGreaterThanOrEqualTo(2);
        assertThat(second.getBean(DeadLetters.class).letters()).isEmpty();
    }

    @Test
    void anEventThatWaitedPastItsDeadlineIsNeverProcessedAndIsDeadLettered() throws Exception {
        ConfigurableApplicationContext demo = startDemo("100ms");
        OrderEventLog log = demo.getBean(OrderEventLog.class);
        String busy = sendOne(demo, "steps=15"); // 1.5 s: the only consumer is busy meanwhile
        await("the consumer busy").atMost(PROMPTLY).until(() -> log.get(busy) != null);
        String late = sendOne(demo, "steps=1&deadline=200ms");

        DeadLetter letter = await("the late event dead-lettered").atMost(PROMPTLY)
                .until(() -> deadLetter(demo, late), found -> found != null);
        assertThat(letter.reason()).isEqualTo("TIMEOUT");
        assertThat(letter.detail()).contains("arrived after its deadline");
        assertThat(letter.deadline()).isNotNull();
        assertThat(letter.arrivedAt()).isAfter(letter.deadline());
        // The listener never ran for it, and the starter counted it.
        await("the busy event processed").atMost(PROMPTLY).until(() -> log.get(busy).state() == State.DONE);
        assertThat(log.get(late)).isNull();
        assertThat(demo.getBean("jmsListenerInvocations", ListenerInvocations.class).expiredCount("order-events"))
                .isEqualTo(1);
        // Also listed by the demo's endpoint.
        String listed = get(demo, "/api/orders/dead-letters").body();
        assertThat(JsonPath.<List<String>>read(listed, "$[?(@.reason == 'TIMEOUT')].orderId")).containsExactly(late);
    }

    @Test
    void anOperatorCancelThroughTheEndpointStopsTheEventRunsItsCleanupAndDeadLettersIt() throws Exception {
        ConfigurableApplicationContext demo = startDemo("100ms");
        OrderEventLog log = demo.getBean(OrderEventLog.class);
        String stuck = sendOne(demo, "steps=300"); // 30 s
        await("the event half-way").atMost(PROMPTLY).until(() -> stepsDone(log, stuck) >= 2);

        String list = get(demo, "/actuator/cancellation?name="
                + URLEncoder.encode(INVOCATION, StandardCharsets.UTF_8)).body();
        assertThat(JsonPath.<List<String>>read(list, "$.tasks[*].name")).containsExactly(INVOCATION);
        assertThat(JsonPath.<String>read(list, "$.tasks[0].attributes.deliveryCount")).isEqualTo("1");
        assertThat(JsonPath.<String>read(list, "$.tasks[0].attributes.messageId")).startsWith("ID:");
        String id = JsonPath.read(list, "$.tasks[0].id");
        HttpResponse<String> cancelled = http.send(HttpRequest.newBuilder(uri(demo, "/actuator/cancellation/" + id))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);

        DeadLetter letter = await("the cancelled event dead-lettered").atMost(PROMPTLY)
                .until(() -> deadLetter(demo, stuck), found -> found != null);
        assertThat(letter.reason()).isEqualTo("REQUESTED");
        await("its cleanup").atMost(PROMPTLY).until(() -> log.get(stuck).cleanedUp());
        assertThat(log.get(stuck).state()).isEqualTo(State.CANCELLED);
        assertThat(log.get(stuck).cancelledBy()).isEqualTo("REQUESTED");
        assertThat(log.get(stuck).completions()).isZero();

        // Consumed, not redelivered: an event sent after it is processed, and the cancelled one never comes back.
        String marker = sendOne(demo, "steps=1");
        await("the next event processed").atMost(PROMPTLY)
                .until(() -> log.get(marker) != null && log.get(marker).state() == State.DONE);
        assertThat(log.get(stuck).deliveries()).isEqualTo(1);
        assertThat(log.get(stuck).state()).isEqualTo(State.CANCELLED);
    }

    private String sendOne(ConfigurableApplicationContext demo, String query) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(demo, "/api/orders/events?" + query))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return JsonPath.read(response.body(), "$.sent[0].orderId");
    }

    private HttpResponse<String> get(ConfigurableApplicationContext demo, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(demo, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(ConfigurableApplicationContext demo, String path) {
        return URI.create("http://127.0.0.1:" + demo.getEnvironment().getProperty("local.server.port") + path);
    }

    private static int stepsDone(OrderEventLog log, String orderId) {
        Entry entry = log.get(orderId);
        return (entry == null) ? 0 : entry.stepsDone();
    }

    private static DeadLetter deadLetter(ConfigurableApplicationContext demo, String orderId) {
        return demo.getBean(DeadLetters.class).letters().stream().filter(letter -> letter.orderId().equals(orderId))
                .findFirst().orElse(null);
    }
}
