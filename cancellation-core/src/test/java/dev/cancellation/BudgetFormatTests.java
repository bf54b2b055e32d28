package dev.cancellation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The text forms of a remaining budget: milliseconds, and gRPC's digits and unit, both ways. */
class BudgetFormatTests {

    @ParameterizedTest
    @CsvSource({"2500,2500", "+7,7", "0,0", "-5,-5", "99999999999999999999,9223372036854775807"})
    void millisecondsAreADecimalIntegerThatSaturates(String text, long millis) {
        assertThat(BudgetFormat.MILLISECONDS.toMillis(text)).isEqualTo(millis);
    }

    @ParameterizedTest
    @CsvSource({"250m,250", "3S,3000", "2M,120000", "1H,3600000", "1500u,2", "1n,1", "0m,0"})
    void grpcTimeoutsAreReadInTheirUnit(String text, long millis) {
        assertThat(BudgetFormat.GRPC_TIMEOUT.toMillis(text)).isEqualTo(millis);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "m", "250", "123456789m", "1.5S", "-1S", "5s", "2 S"})
    void aGrpcTimeoutOutOfItsFormatIsRefused(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> BudgetFormat.GRPC_TIMEOUT.toMillis(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-", "1.5", "10s", "1-2"})
    void millisecondsOutOfTheirFormatAreRefused(String text) {
        assertThatIllegalArgumentException().isThrownBy(() -> BudgetFormat.MILLISECONDS.toMillis(text));
    }

    @ParameterizedTest
    @CsvSource({"2500,2500m", "0,1m", "99999999,99999999m", "100000000,100000S", "99999999999,99999999S", "999999999999,16666666M",
        "9223372036854775807,99999999H"})
    void aBudgetIsWrittenInTheLargestPrecisionGrpcAllows(long millis, String text) {
        assertThat(BudgetFormat.GRPC_TIMEOUT.format(millis)).isEqualTo(text);
        assertThat(BudgetFormat.GRPC_TIMEOUT.toMillis(text)).isLessThanOrEqualTo(Math.max(1, millis));
    }

    @ParameterizedTest
    @CsvSource({"2500,2500", "0,1", "-3,1"})
    void millisecondsAreWrittenAtLeastOne(long millis, String text) {
        assertThat(BudgetFormat.MILLISECONDS.format(millis)).isEqualTo(text);
    }
}
