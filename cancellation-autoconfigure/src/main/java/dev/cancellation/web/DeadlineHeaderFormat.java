package dev.cancellation.web;

/**
 * How a deadline header writes the caller's remaining time.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum DeadlineHeaderFormat {

    /**
     * Whole milliseconds as a decimal integer ({@code 2500}): the starter's own {@code X-Request-Timeout} and
     * Envoy's {@code x-envoy-expected-rq-timeout-ms}.
     */
    MILLISECONDS("the remaining time in milliseconds as a decimal integer, e.g. '2500'"),

    /**
     * gRPC's {@code grpc-timeout}: at most 8 digits and a unit, {@code H}, {@code M}, {@code S}, {@code m}
     * (milliseconds), {@code u} or {@code n} ({@code 250m}, {@code 3S}); sub-millisecond values round up.
     */
    GRPC_TIMEOUT("a gRPC timeout, at most 8 digits and a unit H, M, S, m, u or n, e.g. '2500m'");

    private final String expected;

    DeadlineHeaderFormat(String expected) {
        this.expected = expected;
    }

    /** What a valid value looks like, for error messages. */
    public String expected() {
        return expected;
    }

    /**
     * The milliseconds one element of a header value stands for; digits beyond what a {@code long} holds saturate.
     *
     * @return the milliseconds (zero or less for a spent budget, which only {@link #MILLISECONDS} can express)
     * @throws IllegalArgumentException if the element is not in this format
     */
    long toMillis(String element) {
        return (this == MILLISECONDS) ? parseMillis(element) : parseGrpcTimeout(element);
    }

    private static long parseMillis(String element) {
        int length = element.length();
        int start = (length > 0 && (element.charAt(0) == '-' || element.charAt(0) == '+')) ? 1 : 0;
        if (length == start) {
            throw new IllegalArgumentException(element);
        }
        long millis = digits(element, start, length);
        return (element.charAt(0) == '-') ? -millis : millis;
    }

    private static long parseGrpcTimeout(String element) {
        int length = element.length();
        if (length < 2 || length > 9) {
            throw new IllegalArgumentException(element);
        }
        long amount = digits(element, 0, length - 1);
        return switch (element.charAt(length - 1)) {
            case 'H' -> amount * 3_600_000L;
            case 'M' -> amount * 60_000L;
            case 'S' -> amount * 1_000L;
            case 'm' -> amount;
            case 'u' -> (amount + 999) / 1_000;
            case 'n' -> (amount + 999_999) / 1_000_000;
            default -> throw new IllegalArgumentException(element);
        };
    }

    private static long digits(String element, int from, int to) {
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = element.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException(element);
            }
            value = (value > (Long.MAX_VALUE - 9) / 10) ? Long.MAX_VALUE : value * 10 + (c - '0');
        }
        return value;
    }
}
