package dev.cancellation.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing the caller's budget: default, cap, spent budgets, several values, malformed ones, saturation. */
class RequestDeadlinesTests {

    private final RequestDeadlines policy = new RequestDeadlines("X-Request-Timeout", Duration.ofSeconds(2),
            Duration.ofSeconds(10));

    @Test
    void noHeaderGivesTheDefault() {
        assertThat(policy.budget(null).timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.budget(List.of()).received()).isNull();
        assertThat(new RequestDeadlines("X", null, null).budget(null).timeout()).isNull();
    }

    @Test
    void aValueIsMillisecondsCappedByTheMaximum() {
        assertThat(policy.budget(List.of("800")).timeout()).isEqualTo(Duration.ofMillis(800));
        assertThat(policy.budget(List.of(" 800 ")).timeout()).isEqualTo(Duration.ofMillis(800));
        assertThat(policy.budget(List.of("60000")).timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.budget(List.of("99999999999999999999999")).timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(new RequestDeadlines("X", null, null).budget(List.of("99999999999999999999999")).timeout())
                .isEqualTo(Duration.ofMillis(Long.MAX_VALUE));
    }

    @Test
    void severalValuesTheSmallestWins() {
        assertThat(policy.budget(List.of("900, 300", "500")).timeout()).isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void zeroOrLessIsSpent() {
        assertThat(policy.budget(List.of("0")).spent()).isTrue();
        assertThat(policy.budget(List.of("-1")).spent()).isTrue();
        assertThat(policy.budget(List.of("1")).spent()).isFalse();
    }

    @Test
    void admissionGivesTheBudgetOrTheProblemToAnswer() {
        RequestDeadlines.Admission admitted = policy.admit(List.of("800"), "/work");
        assertThat(admitted.budget().timeout()).isEqualTo(Duration.ofMillis(800));
        assertThat(admitted.problem()).isNull();

        RequestDeadlines.Admission malformed = policy.admit(List.of("10s"), "/work");
        assertThat(malformed.budget()).isNull();
        assertThat(malformed.problem().getStatus()).isEqualTo(400);
        assertThat(malformed.problem().getProperties()).containsEntry("header", "X-Request-Timeout")
                .containsEntry("value", "10s");
        assertThat(malformed.problem().getInstance()).hasToString("/work");

        RequestDeadlines.Admission spent = policy.admit(List.of("0"), "/work");
        assertThat(spent.budget()).isNull();
        assertThat(spent.problem().getStatus()).isEqualTo(504);
        assertThat(spent.problem().getProperties()).containsEntry("value", "0");
    }

    @Test
    void malformedValuesNameTheHeaderAndTheValue() {
        for (String bad : List.of("", " ", "abc", "1.5", "10s", "1e3", "0x10", "--1", "+", "5,", "5,x")) {
            assertThatThrownBy(() -> policy.budget(List.of(bad)))
                    .isInstanceOf(MalformedDeadlineHeaderException.class)
                    .hasMessageContaining("X-Request-Timeout").hasMessageContaining("'" + bad + "'");
        }
    }
}
