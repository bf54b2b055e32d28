package dev.cancellation.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.cancellation.BudgetFormat;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.ProblemDetail;

/** A mesh's deadline headers beside X-Request-Timeout: Envoy's milliseconds, gRPC's timeout format. */
class MeshDeadlineHeadersTests {

    private static final String ENVOY = "x-envoy-expected-rq-timeout-ms";

    private final RequestDeadlines policy = new RequestDeadlines("X-Request-Timeout", meshHeaders(), null,
            Duration.ofSeconds(10));

    private static Map<String, BudgetFormat> meshHeaders() {
        Map<String, BudgetFormat> headers = new LinkedHashMap<>();
        headers.put(ENVOY, BudgetFormat.MILLISECONDS);
        headers.put("grpc-timeout", BudgetFormat.GRPC_TIMEOUT);
        return headers;
    }

    private static Map<String, List<String>> request(String... namesAndValues) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            headers.put(namesAndValues[i], List.of(namesAndValues[i + 1]));
        }
        return headers;
    }

    @Test
    void theMeshsHeaderAloneGivesTheBudget() {
        RequestDeadlines.Budget budget = policy.budgetOf(request(ENVOY, "1500")::get);

        assertThat(budget.timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(budget.header()).isEqualTo(ENVOY);
    }

    @Test
    void theEarliestDeadlineOfAllHeadersWins() {
        assertThat(policy.budgetOf(request("X-Request-Timeout", "3000", ENVOY, "1500", "grpc-timeout", "2S")::get)
                .timeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(policy.budgetOf(request("X-Request-Timeout", "3000", "grpc-timeout", "700m")::get).header())
                .isEqualTo("grpc-timeout");
    }

    @Test
    void theCapStillAppliesToAMeshsBudget() {
        assertThat(policy.budgetOf(request(ENVOY, "600000")::get).timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.budgetOf(request("grpc-timeout", "1H")::get).timeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @ParameterizedTest
    @CsvSource({"250m,250", "3S,3000", "2M,120000", "1H,3600000", "1500u,2", "1n,1", "99999999m,99999999"})
    void grpcTimeoutsAreReadInTheirUnitAndRoundedUpToAMillisecond(String value, long millis) {
        RequestDeadlines open = new RequestDeadlines("X-Request-Timeout", meshHeaders(), null, null);

        assertThat(open.budgetOf(request("grpc-timeout", value)::get).timeout()).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"250", "m", "123456789S", "1.5S", "-1S", "5s", ""})
    void aMalformedGrpcTimeoutIsA400NamingTheHeaderTheValueAndTheFormat(String value) {
        RequestDeadlines.Admission admission = policy.admitOf(request("grpc-timeout", value)::get, "/orders");

        ProblemDetail problem = admission.problem();
        assertThat(problem).isNotNull();
        assertThat(problem.getStatus()).isEqualTo(400);
        assertThat(problem.getProperties()).containsEntry("header", "grpc-timeout").containsEntry("value", value);
        assertThat(problem.getDetail()).contains("a gRPC timeout");
    }

    @Test
    void aSpentBudgetInTheMeshsHeaderIsA504NamingThatHeader() {
        ProblemDetail problem = policy.admitOf(request(ENVOY, "0")::get, "/orders").problem();

        assertThat(problem).isNotNull();
        assertThat(problem.getStatus()).isEqualTo(504);
        assertThat(problem.getProperties()).containsEntry("header", ENVOY);
    }

    @Test
    void theDeadlineHeaderComesFirstAndANamelessEntryNamesTheProperty() {
        assertThat(policy.headers().keySet()).containsExactly("X-Request-Timeout", ENVOY, "grpc-timeout");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new RequestDeadlines("X", Map.of(" ", BudgetFormat.MILLISECONDS), null, null))
                .withMessageContaining("cancellation.web.additional-deadline-headers");
    }
}
