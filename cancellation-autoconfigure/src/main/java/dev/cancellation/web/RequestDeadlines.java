package dev.cancellation.web;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ProblemDetail;

/**
 * Turns a request's deadline header into its time budget: the caller's remaining milliseconds as a decimal
 * integer (relative, so no synchronised clocks are needed, like gRPC's {@code grpc-timeout}), a default for
 * requests that send none, and a server-side limit no caller can exceed.
 *
 * <p>A caller may shorten the server's budget, never lengthen it: the limit on what a caller may ask for is the
 * cap ({@code max-request-timeout}) when one is set, else the default ({@code request-timeout}), else none. Only
 * an explicit cap lets a caller ask for more than the default (a client must not lift a limit the operator set).
 *
 * <table>
 *   <caption>The budget by configuration</caption>
 *   <tr><th>default</th><th>cap</th><th>no header</th><th>header {@code N}</th></tr>
 *   <tr><td>unset</td><td>unset</td><td>none</td><td>{@code N}</td></tr>
 *   <tr><td>{@code D}</td><td>unset</td><td>{@code D}</td><td>{@code min(N, D)}</td></tr>
 *   <tr><td>unset</td><td>{@code M}</td><td>none</td><td>{@code min(N, M)}</td></tr>
 *   <tr><td>{@code D}</td><td>{@code M}</td><td>{@code D}</td><td>{@code min(N, M)}</td></tr>
 * </table>
 *
 * <ul>
 *   <li>No header: the default budget ({@code null} for none).</li>
 *   <li>A value: that many milliseconds, at most the limit above. Several values (repeated headers or a
 *       comma-separated list) must all be valid; the smallest wins. Digits beyond what a {@code long} holds
 *       saturate.</li>
 *   <li>{@code 0} or less: the budget is already spent ({@link Budget#spent()}): the request is answered
 *       {@code 504} without running the handler.</li>
 *   <li>Anything else (empty, signs in the middle, decimals, units): {@link MalformedDeadlineHeaderException}.</li>
 * </ul>
 *
 * <p>Thread-safety: immutable; safe from any thread.
 */
public final class RequestDeadlines {

    private final String headerName;
    private final @Nullable Duration defaultTimeout;
    private final @Nullable Duration maxTimeout;
    private final @Nullable Duration callerLimit;

    /**
     * Creates the policy.
     *
     * @param headerName the header carrying the caller's remaining milliseconds
     * @param defaultTimeout the budget of requests without the header, {@code null} for none
     * @param maxTimeout the cap on every budget, {@code null} for none
     * @throws IllegalArgumentException naming the property if a value is blank, not positive, or the default
     *     exceeds the cap
     */
    public RequestDeadlines(String headerName, @Nullable Duration defaultTimeout, @Nullable Duration maxTimeout) {
        if (headerName == null || headerName.isBlank()) {
            throw new IllegalArgumentException("cancellation.web.deadline-header must not be blank");
        }
        requirePositive(defaultTimeout, "cancellation.web.request-timeout");
        requirePositive(maxTimeout, "cancellation.web.max-request-timeout");
        if (defaultTimeout != null && maxTimeout != null && defaultTimeout.compareTo(maxTimeout) > 0) {
            throw new IllegalArgumentException("cancellation.web.request-timeout (" + defaultTimeout
                    + ") must not exceed cancellation.web.max-request-timeout (" + maxTimeout + ")");
        }
        this.headerName = headerName.trim();
        this.defaultTimeout = defaultTimeout;
        this.maxTimeout = maxTimeout;
        // An explicit cap is the operator's say on how long a caller may ask for; without one, the default is.
        this.callerLimit = (maxTimeout != null) ? maxTimeout : defaultTimeout;
    }

    private static void requirePositive(@Nullable Duration value, String property) {
        if (value != null && (value.isNegative() || value.isZero())) {
            throw new IllegalArgumentException(property + " must be positive, but was " + value);
        }
    }

    /** The name of the deadline header. */
    public String headerName() {
        return headerName;
    }

    /** The budget of requests without the header; {@code null} for none. */
    public @Nullable Duration defaultTimeout() {
        return defaultTimeout;
    }

    /** The cap on every budget; {@code null} for none. */
    public @Nullable Duration maxTimeout() {
        return maxTimeout;
    }

    /**
     * The longest budget a caller may ask for: the cap when set, else the default, else {@code null} (no limit).
     */
    public @Nullable Duration callerLimit() {
        return callerLimit;
    }

    /**
     * The budget of a request whose deadline header has the given values.
     *
     * @param values the header's values in order, {@code null} or empty when the header is absent
     * @throws MalformedDeadlineHeaderException if a value is not a decimal integer
     */
    public Budget budget(@Nullable Iterable<String> values) {
        Long smallest = null;
        if (values != null) {
            for (String value : values) {
                for (String element : value.split(",", -1)) {
                    long millis = parse(element.trim(), value);
                    smallest = (smallest == null) ? millis : Math.min(smallest, millis);
                }
            }
        }
        if (smallest == null) {
            return new Budget(defaultTimeout, null);
        }
        if (smallest <= 0) {
            return new Budget(Duration.ZERO, Long.toString(smallest));
        }
        Duration requested = Duration.ofMillis(smallest);
        Duration capped = (callerLimit != null && requested.compareTo(callerLimit) > 0) ? callerLimit : requested;
        return new Budget(capped, Long.toString(smallest));
    }

    /**
     * Whether a request whose deadline header has the given values may run, and with which budget: the budget, or
     * the problem to answer instead (a malformed header, {@code 400}; a spent budget, {@code 504}).
     *
     * @param values the header's values in order, {@code null} or empty when the header is absent
     * @param path the request's path, the problem's {@code instance}
     */
    public Admission admit(@Nullable Iterable<String> values, String path) {
        Budget budget;
        try {
            budget = budget(values);
        } catch (MalformedDeadlineHeaderException malformed) {
            return new Admission(null, CancellationProblems.malformedHeader(malformed, path));
        }
        if (budget.spent()) {
            return new Admission(null, CancellationProblems.budgetSpent(headerName, budget.received(), path));
        }
        return new Admission(budget, null);
    }

    private long parse(String element, String whole) {
        int length = element.length();
        int start = (length > 0 && (element.charAt(0) == '-' || element.charAt(0) == '+')) ? 1 : 0;
        if (length == start) {
            throw new MalformedDeadlineHeaderException(headerName, whole);
        }
        long millis = 0;
        for (int i = start; i < length; i++) {
            char c = element.charAt(i);
            if (c < '0' || c > '9') {
                throw new MalformedDeadlineHeaderException(headerName, whole);
            }
            millis = (millis > (Long.MAX_VALUE - 9) / 10) ? Long.MAX_VALUE : millis * 10 + (c - '0');
        }
        return (element.charAt(0) == '-') ? -millis : millis;
    }

    /**
     * A request's budget.
     *
     * @param timeout the time the request may take from now, {@code null} for no limit, {@link Duration#ZERO}
     *     when already spent
     * @param received the header's (smallest) value as parsed, {@code null} when the header was absent
     */
    public record Budget(@Nullable Duration timeout, @Nullable String received) {

        /** Whether the caller's budget is already spent: the handler must not run. */
        public boolean spent() {
            return timeout != null && timeout.isZero();
        }
    }

    /**
     * What {@link #admit} decided: exactly one of the two is set.
     *
     * @param budget the budget of a request that may run, {@code null} when it is refused
     * @param problem the answer to a refused request, {@code null} when it may run
     */
    public record Admission(@Nullable Budget budget, @Nullable ProblemDetail problem) {
    }
}
