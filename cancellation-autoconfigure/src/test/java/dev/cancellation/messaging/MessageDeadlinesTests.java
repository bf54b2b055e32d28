package dev.cancellation.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The absolute deadline a message carries: written from a token, read into a budget or an expiry. */
class MessageDeadlinesTests {

    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    private final MessageDeadlines deadlines = new MessageDeadlines("x-deadline", Duration.ZERO,
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aTokenWithADeadlineIsWrittenAsEpochMillisAndOneWithoutIsNot() {
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMinutes(5))) {
            Instant deadline = source.token().deadline().orElseThrow();

            assertThat(deadlines.encode(source.token())).isEqualTo(Long.toString(deadline.toEpochMilli()));
        }
        assertThat(deadlines.encode(CancellationToken.none())).isNull();
    }

    @Test
    void aMessageWithoutTheHeaderHasNoDeadlineAndKeepsTheListenersTimeout() {
        MessageDeadlines.Admission admission = deadlines.admit(null, "orders");

        assertThat(admission.expired()).isFalse();
        assertThat(admission.budget(Duration.ofSeconds(30))).isEqualTo(Duration.ofSeconds(30));
        assertThat(admission.budget(null)).isNull();
    }

    @Test
    void aNearDeadlineRunsWithExactlyTheBudgetLeftUnlessTheListenersTimeoutIsShorter() {
        String header = Long.toString(NOW.plusMillis(300).toEpochMilli());

        MessageDeadlines.Admission admission = deadlines.admit(header, "orders");

        assertThat(admission.expired()).isFalse();
        assertThat(admission.deadline()).isEqualTo(NOW.plusMillis(300));
        assertThat(admission.budget(null)).isEqualTo(Duration.ofMillis(300));
        assertThat(admission.budget(Duration.ofSeconds(30))).isEqualTo(Duration.ofMillis(300));
        assertThat(admission.budget(Duration.ofMillis(100))).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void aPassedDeadlineIsExpiredWhateverTheHeadersType() {
        long passed = NOW.minusSeconds(5).toEpochMilli();

        assertThat(deadlines.admit(Long.toString(passed), "orders").expired()).isTrue();
        assertThat(deadlines.admit(passed, "orders").expired()).isTrue();
        assertThat(deadlines.admit(Long.toString(passed).getBytes(StandardCharsets.UTF_8), "orders").expired())
                .isTrue();
        assertThat(deadlines.admit(Long.toString(passed), "orders").budget(Duration.ofSeconds(1)))
                .isEqualTo(Duration.ZERO);
    }

    @Test
    void theClockSkewToleranceIsGivenToTheSender() {
        MessageDeadlines tolerant = new MessageDeadlines("x-deadline", Duration.ofMillis(500),
                Clock.fixed(NOW, ZoneOffset.UTC));
        long justPassed = NOW.minusMillis(200).toEpochMilli();

        MessageDeadlines.Admission admission = tolerant.admit(justPassed, "orders");

        assertThat(admission.expired()).isFalse();
        assertThat(admission.left()).isEqualTo(Duration.ofMillis(300));
    }

    @ParameterizedTest
    @ValueSource(strings = {"soon", "-5", "0", "1.5e12", "99999999999999999999", ""})
    void aMalformedHeaderIsAnErrorNamingTheHeaderTheValueAndTheDestination(String value) {
        assertThatExceptionOfType(MessageDeadlineException.class).isThrownBy(() -> deadlines.admit(value, "orders"))
                .withMessageContaining("'x-deadline'").withMessageContaining("'" + value + "'")
                .withMessageContaining("'orders'")
                .satisfies(ex -> assertThat(ex.header()).isEqualTo("x-deadline"));
    }

    @Test
    void aHugeMalformedValueIsCutInTheMessage() {
        assertThatExceptionOfType(MessageDeadlineException.class)
                .isThrownBy(() -> deadlines.admit("x".repeat(10_000), "orders"))
                .satisfies(ex -> assertThat(ex.value()).hasSize(67));
    }

    @Test
    void nonsenseSettingsNameTheProperty() {
        Clock clock = Clock.systemUTC();
        assertThatIllegalArgumentException().isThrownBy(() -> new MessageDeadlines(" ", Duration.ZERO, clock))
                .withMessageContaining("cancellation.messaging.deadline-header");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new MessageDeadlines("h", Duration.ofMillis(-1), clock))
                .withMessageContaining("cancellation.messaging.clock-skew-tolerance");
    }
}
