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

    /** The table in the class comment: a caller may shorten the server's budget, never lengthen it. */
    @Test
    void aCallerMayAskForMoreThanTheDefaultOnlyUpToAnExplicitCap() {
        RequestDeadlines neither = new RequestDeadlines("X", null, null);
        RequestDeadlines defaultOnly = new RequestDeadlines("X", Duration.ofSeconds(1), null);
        RequestDeadlines capOnly = new RequestDeadlines("X", null, Duration.ofSeconds(10));
        RequestDeadlines both = new RequestDeadlines("X", Duration.ofSeconds(1), Duration.ofSeconds(10));

        assertThat(neither.budget(null).timeout()).isNull();
        assertThat(neither.budget(List.of("60000")).timeout()).isEqualTo(Duration.ofSeconds(60));

        assertThat(defaultOnly.budget(null).timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaultOnly.budget(List.of("60000")).timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaultOnly.budget(List.of("300")).timeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(defaultOnly.admit(List.of("60000"), "/").budget().timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaultOnly.budget(List.of("99999999999999999999999")).timeout()).isEqualTo(Duration.ofSeconds(1));

        assertThat(capOnly.budget(null).timeout()).isNull();
        assertThat(capOnly.budget(List.of("60000")).timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(capOnly.budget(List.of("5000")).timeout()).isEqualTo(Duration.ofSeconds(5));

        assertThat(both.budget(null).timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(both.budget(List.of("5000")).timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(both.budget(List.of("60000")).timeout()).isEqualTo(Duration.ofSeconds(10));
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
