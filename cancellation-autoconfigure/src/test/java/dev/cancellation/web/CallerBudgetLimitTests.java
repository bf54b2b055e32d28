package dev.cancellation.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.web.WebClients.Answer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * With only {@code cancellation.web.request-timeout} set, the caller's deadline header may shorten the server's
 * budget but never lengthen it: over real HTTP, on both stacks, the request token's deadline (the one every
 * {@code @Cancellable} call and every outbound call inherits) is at most the configured second.
 */
class CallerBudgetLimitTests {

    abstract static class Scenario {

        @LocalServerPort
        int port;

        @Test
        void aCallerAsking60SecondsUnderAConfiguredSecondGetsTheSecond() {
            Instant before = Instant.now();
            Answer answer = WebClients.get(port, "/token", "X-Request-Timeout", "60000");
            Instant after = Instant.now();

            assertThat(answer.status()).isEqualTo(200);
            Instant deadline = Instant.parse(answer.json("$.handlerDeadline"));
            assertThat(deadline).isBetween(before.plusMillis(900), after.plusSeconds(1));
            assertThat(Instant.parse(answer.json("$.taskDeadline"))).isBeforeOrEqualTo(deadline);
        }

        @Test
        void aCallerMayStillShortenIt() {
            Instant before = Instant.now();
            Answer answer = WebClients.get(port, "/token", "X-Request-Timeout", "300");

            assertThat(Instant.parse(answer.json("$.handlerDeadline")))
                    .isBetween(before.plusMillis(250), Instant.now().plusMillis(300));
        }

        @Test
        void aCallerAskingMoreThanTheSecondIsCutOffAtTheSecond() {
            Answer answer = WebClients.get(port, "/api/reports/11?ms=30000", "X-Request-Timeout", "60000");

            assertThat(answer.status()).isEqualTo(504);
            assertThat(answer.took()).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Nested
    @SpringBootTest(classes = MvcTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {"server.address=127.0.0.1", "cancellation.web.request-timeout=1s",
                "server.shutdown=immediate", "cancellation.web.shutdown-drain=0s"})
    class SpringMvc extends Scenario {
    }

    @Nested
    @SpringBootTest(classes = FluxTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {"spring.main.web-application-type=reactive", "server.address=127.0.0.1",
                "cancellation.web.request-timeout=1s", "server.shutdown=immediate",
                "cancellation.web.shutdown-drain=0s"})
    class WebFlux extends Scenario {
    }
}
