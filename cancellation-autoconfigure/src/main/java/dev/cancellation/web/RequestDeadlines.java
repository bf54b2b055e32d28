package dev.cancellation.web;

import dev.cancellation.BudgetFormat;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
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
 * <p>Behind a service mesh the caller's budget may also arrive in the mesh's own header: Envoy's and Istio's
 * {@code x-envoy-expected-rq-timeout-ms} (milliseconds), or gRPC-Web's {@code grpc-timeout}
 * ({@link BudgetFormat#GRPC_TIMEOUT}). Such additional headers are read the same way, each in its format;
 * the smallest budget of all headers present wins, and the limit above applies to it.
 * *
 * <p>Thread-safety: immutable; safe from any thread.
 */
public final class RequestDeadlines {

    private final String headerName;
    private final Map<String, BudgetFormat> headers;
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
        this(headerName, Map.of(), defaultTimeout, maxTimeout);
    }

    /**
     * Creates the policy with additional deadline headers (a mesh's).
     *
     * @param headerName the header carrying the caller's remaining milliseconds
     * @param additionalHeaders more headers that may carry the caller's budget, each with its format
     * @param defaultTimeout the budget of requests without any of the headers, {@code null} for none
     * @param maxTimeout the cap on every budget, {@code null} for none
     * @throws IllegalArgumentException naming the property if a value is blank, not positive, or the default
     *     exceeds the cap
     */
    public RequestDeadlines(String headerName, Map<String, BudgetFormat> additionalHeaders,
            @Nullable Duration defaultTimeout, @Nullable Duration maxTimeout) {
        if (headerName == null || headerName.isBlank()) {
            throw new IllegalArgumentException("cancellation.web.deadline-header must not be blank");
        }
        Map<String, BudgetFormat> all = new LinkedHashMap<>();
        all.put(headerName.trim(), BudgetFormat.MILLISECONDS);
        additionalHeaders.forEach((name, format) -> {
            if (name == null || name.isBlank() || format == null) {
                throw new IllegalArgumentException("cancellation.web.additional-deadline-headers needs a header "
                        + "name and a format for each entry, but got '" + name + "' = " + format);
            }
            all.putIfAbsent(name.trim(), format);
        });
        this.headers = Collections.unmodifiableMap(all);
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

    /** Every header read for the caller's budget, the deadline header first, each with its format. */
    public Map<String, BudgetFormat> headers() {
        return headers;
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
     * The budget of a request whose deadline header has the given values (and no additional header).
     *
     * @param values the header's values in order, {@code null} or empty when the header is absent
     * @throws MalformedDeadlineHeaderException if a value is not a decimal integer
     */
    public Budget budget(@Nullable Iterable<String> values) {
        return budgetOf(name -> name.equals(headerName) ? values : null);
    }

    /**
     * The budget of a request with the given headers: the smallest of every deadline header present.
     *
     * @param headerValues a header's values in order by its name; {@code null} or empty when it is absent
     * @throws MalformedDeadlineHeaderException if a value is not in its header's format
     */
    public Budget budgetOf(Function<String, @Nullable Iterable<String>> headerValues) {
        Long smallest = null;
        String from = headerName;
        for (Map.Entry<String, BudgetFormat> header : headers.entrySet()) {
            Iterable<String> values = headerValues.apply(header.getKey());
            if (values == null) {
                continue;
            }
            for (String value : values) {
                for (String element : value.split(",", -1)) {
                    long millis = parse(element.trim(), value, header.getKey(), header.getValue());
                    if (smallest == null || millis < smallest) {
                        smallest = millis;
                        from = header.getKey();
                    }
                }
            }
        }
        if (smallest == null) {
            return new Budget(defaultTimeout, null, null);
        }
        if (smallest <= 0) {
            return new Budget(Duration.ZERO, Long.toString(smallest), from);
        }
        Duration requested = Duration.ofMillis(smallest);
        Duration capped = (callerLimit != null && requested.compareTo(callerLimit) > 0) ? callerLimit : requested;
        return new Budget(capped, Long.toString(smallest), from);
    }

    /**
     * Whether a request whose deadline header has the given values may run, and with which budget: the budget, or
     * the problem to answer instead (a malformed header, {@code 400}; a spent budget, {@code 504}).
     *
     * @param values the header's values in order, {@code null} or empty when the header is absent
     * @param path the request's path, the problem's {@code instance}
     */
    public Admission admit(@Nullable Iterable<String> values, String path) {
        return admitOf(name -> name.equals(headerName) ? values : null, path);
    }

    /**
     * {@link #admit}, for a request with the given headers: every deadline header is read.
     *
     * @param headerValues a header's values in order by its name; {@code null} or empty when it is absent
     * @param path the request's path, the problem's {@code instance}
     */
    public Admission admitOf(Function<String, @Nullable Iterable<String>> headerValues, String path) {
        Budget budget;
        try {
            budget = budgetOf(headerValues);
        } catch (MalformedDeadlineHeaderException malformed) {
            return new Admission(null, CancellationProblems.malformedHeader(malformed, path));
        }
        if (budget.spent()) {
            String header = (budget.header() != null) ? budget.header() : headerName;
            return new Admission(null, CancellationProblems.budgetSpent(header, budget.received(), path));
        }
        return new Admission(budget, null);
    }

    private static long parse(String element, String whole, String header, BudgetFormat format) {
        try {
            return format.toMillis(element);
        } catch (IllegalArgumentException ex) {
            throw new MalformedDeadlineHeaderException(header, whole, format);
        }
    }

    /**
     * A request's budget.
     *
     * @param timeout the time the request may take from now, {@code null} for no limit, {@link Duration#ZERO}
     *     when already spent
     * @param received the (smallest) value as parsed, in milliseconds, {@code null} when no header was present
     * @param header the header it came from, {@code null} when no header was present
     */
    public record Budget(@Nullable Duration timeout, @Nullable String received, @Nullable String header) {

        /** A budget from the deadline header (or none). */
        public Budget(@Nullable Duration timeout, @Nullable String received) {
            this(timeout, received, null);
        }

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
