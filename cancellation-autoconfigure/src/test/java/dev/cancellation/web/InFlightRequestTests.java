package dev.cancellation.web;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One request's lifecycle outside a server: the backstop close for a request whose end is never reported. */
class InFlightRequestTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final InFlightRequests requests = new InFlightRequests(registry, Duration.ZERO);

    @AfterEach
    void close() {
        registry.close();
    }

    @Test
    void aRequestWhoseEndIsNeverReportedIsClosedByItsBackstopAndItsTaskExits() {
        InFlightRequest request = requests.open(null);
        String taskId = request.register("GET /stream").id();
        request.cancel(InFlightRequest.clientDisconnected());

        request.closeAfter(Duration.ofMillis(50));

        await().atMost(PROMPTLY).until(request::isClosed);
        assertThat(requests.isInFlight(request.requestToken())).isFalse();
        await().atMost(PROMPTLY).until(() -> registry.find(taskId).isEmpty());
    }

    @Test
    void aRequestThatEndsFirstIsClosedOnceAndItsBackstopDoesNothingLater() {
        InFlightRequest request = requests.open(null);
        request.closeAfter(Duration.ofHours(1));
        request.closeAfter(Duration.ofMillis(1)); // a second backstop is not armed

        assertThat(request.isClosed()).isFalse();
        request.close();

        assertThat(request.isClosed()).isTrue();
        assertThat(requests.size()).isZero();
        request.closeAfter(Duration.ofMillis(1)); // after the close: nothing to do
        assertThat(requests.size()).isZero();
    }
}
