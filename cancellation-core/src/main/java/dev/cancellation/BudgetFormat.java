package dev.cancellation;

/**
 * How a remaining time budget is written as text, in a header that crosses a process boundary (HTTP, gRPC-Web, a
 * service mesh). Relative budgets need no synchronised clocks: each hop reads what is left and passes on less.
 *
 * <p>Thread-safety: an enum, immutable.
 */
public enum BudgetFormat {

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

    /** The most digits gRPC allows in a timeout: 8. */
    private static final long MAX_GRPC_AMOUNT = 99_999_999;

    private final String expected;

    BudgetFormat(String expected) {
        this.expected = expected;
    }

    /** What a valid value looks like, for error messages. */
    public String expected() {
        return expected;
    }

    /**
     * The milliseconds a value in this format stands for (no surrounding blanks, no list); digits beyond what a
     * {@code long} holds saturate; a sub-millisecond gRPC timeout rounds up.
     *
     * @return the milliseconds (zero or less for a spent budget, which only {@link #MILLISECONDS} can express)
     * @throws IllegalArgumentException if the value is not in this format
     */
    public long toMillis(String value) {
        return (this == MILLISECONDS) ? parseMillis(value) : parseGrpcTimeout(value);
    }

    /**
     * Writes {@code millis} (at least 1) in this format; a gRPC timeout too large for 8 digits of milliseconds is
     * written in the largest unit that holds it, rounded down.
     */
    public String format(long millis) {
        long value = Math.max(1, millis);
        if (this == MILLISECONDS) {
            return Long.toString(value);
        }
        if (value <= MAX_GRPC_AMOUNT) {
            return value + "m";
        }
        if (value / 1_000 <= MAX_GRPC_AMOUNT) {
            return (value / 1_000) + "S";
        }
        if (value / 60_000 <= MAX_GRPC_AMOUNT) {
            return (value / 60_000) + "M";
        }
        return Math.min(MAX_GRPC_AMOUNT, value / 3_600_000) + "H";
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
