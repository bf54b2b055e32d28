package dev.cancellation.http;

import dev.cancellation.BudgetFormat;
import dev.cancellation.CancellationToken;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How outbound HTTP calls honour the current token: whether the remaining budget travels in a header (and its
 * name), and whether cancelling the token aborts the exchange. Shared by the {@code RestClient} /
 * {@code RestTemplate} interceptor, the {@code WebClient} filter and {@link CancellableHttpClient}.
 *
 * <p>A call made without a current token (or under {@link CancellationToken#none()}) is left exactly as it is.
 *
 * <p>Thread-safety: immutable.
 */
public final class HttpClientCancellation {

    /** The header that carries the remaining budget by default, as gRPC's {@code grpc-timeout} does. */
    public static final String DEFAULT_DEADLINE_HEADER = "X-Request-Timeout";

    private static final HttpClientCancellation DEFAULTS =
            new HttpClientCancellation(DEFAULT_DEADLINE_HEADER, true, true);

    private final String deadlineHeader;
    private final boolean propagateDeadline;
    private final boolean abortOnCancel;
    private final DeadlineHeaderHosts deadlineHeaderHosts;
    private final Map<String, BudgetFormat> additionalHeaders;

    /**
     * @param deadlineHeader name of the header carrying the remaining milliseconds
     * @param propagateDeadline whether to send that header
     * @param abortOnCancel whether cancelling the token aborts an exchange in flight
     * @throws IllegalArgumentException if {@code deadlineHeader} is not a valid HTTP header name
     */
    public HttpClientCancellation(String deadlineHeader, boolean propagateDeadline, boolean abortOnCancel) {
        this(deadlineHeader, propagateDeadline, abortOnCancel, DeadlineHeaderHosts.ALL);
    }

    /**
     * Like {@link #HttpClientCancellation(String, boolean, boolean)}, sending the header only to the hosts that
     * {@code deadlineHeaderHosts} names (see {@link #deadlineHeaderHosts()}); the abort applies to every host.
     *
     * @throws IllegalArgumentException if a pattern is not valid, or the list is empty
     */
    public HttpClientCancellation(String deadlineHeader, boolean propagateDeadline, boolean abortOnCancel,
            List<String> deadlineHeaderHosts) {
        this(deadlineHeader, propagateDeadline, abortOnCancel,
                DeadlineHeaderHosts.of(deadlineHeaderHosts, "cancellation.http.client.deadline-header-hosts"));
    }

    /**
     * Like {@link #HttpClientCancellation(String, boolean, boolean, List)}, also sending the budget in
     * {@code additionalHeaders}, each in its format (a mesh's own header, e.g. Envoy's
     * {@code x-envoy-upstream-rq-timeout-ms}), to the same hosts.
     *
     * @throws IllegalArgumentException if a header name is not valid
     */
    public HttpClientCancellation(String deadlineHeader, boolean propagateDeadline, boolean abortOnCancel,
            List<String> deadlineHeaderHosts, Map<String, BudgetFormat> additionalHeaders) {
        this(deadlineHeader, propagateDeadline, abortOnCancel,
                DeadlineHeaderHosts.of(deadlineHeaderHosts, "cancellation.http.client.deadline-header-hosts"),
                additionalHeaders);
    }

    private HttpClientCancellation(String deadlineHeader, boolean propagateDeadline, boolean abortOnCancel,
            DeadlineHeaderHosts hosts) {
        this(deadlineHeader, propagateDeadline, abortOnCancel, hosts, Map.of());
    }

    private HttpClientCancellation(String deadlineHeader, boolean propagateDeadline, boolean abortOnCancel,
            DeadlineHeaderHosts hosts, Map<String, BudgetFormat> additionalHeaders) {
        this.deadlineHeader = checkHeaderName(deadlineHeader, "cancellation.http.client.deadline-header");
        this.propagateDeadline = propagateDeadline;
        this.abortOnCancel = abortOnCancel;
        this.deadlineHeaderHosts = hosts;
        Map<String, BudgetFormat> checked = new LinkedHashMap<>();
        additionalHeaders.forEach((name, format) -> {
            checkHeaderName(name, "cancellation.http.client.additional-deadline-headers");
            if (format == null) {
                throw new IllegalArgumentException("cancellation.http.client.additional-deadline-headers: header '"
                        + name + "' needs a format (milliseconds or grpc-timeout)");
            }
            if (!name.equalsIgnoreCase(this.deadlineHeader)) {
                checked.put(name, format);
            }
        });
        this.additionalHeaders = Collections.unmodifiableMap(checked);
    }

    /** {@code X-Request-Timeout} sent, abort on cancel. */
    public static HttpClientCancellation defaults() {
        return DEFAULTS;
    }

    public String deadlineHeader() {
        return deadlineHeader;
    }

    /** The headers that also carry the budget, each in its format; empty by default. */
    public Map<String, BudgetFormat> additionalHeaders() {
        return additionalHeaders;
    }

    public boolean propagateDeadline() {
        return propagateDeadline;
    }

    public boolean abortOnCancel() {
        return abortOnCancel;
    }

    /**
     * The host patterns that receive the deadline header: {@code *} (every host, the default), a host name or IP
     * literal matched exactly, or {@code *.example.com} for the names under {@code example.com}.
     */
    public List<String> deadlineHeaderHosts() {
        return deadlineHeaderHosts.patterns();
    }

    /**
     * Starts a call under {@code token}; {@code null} when there is nothing to do (no token, or
     * {@link CancellationToken#none()}).
     *
     * @throws dev.cancellation.TaskCancelledException if the token is already cancelled
     * @throws dev.cancellation.TaskTimeoutException if its budget is already spent
     */
    public @Nullable OutboundCall start(@Nullable CancellationToken token, String method, URI uri) {
        return start(token, method, uri, abortOnCancel);
    }

    /**
     * Like {@link #start(CancellationToken, String, URI)}, for integrations that abort the exchange themselves
     * (Reactor signals, the JDK client's future): the call then holds no callback of its own.
     */
    @Nullable OutboundCall startWithoutAbort(@Nullable CancellationToken token, String method, URI uri) {
        return start(token, method, uri, false);
    }

    private @Nullable OutboundCall start(@Nullable CancellationToken token, String method, URI uri,
            boolean abortOnCancel) {
        if (token == null || token.isNone()) {
            return null;
        }
        OutboundCall call = OutboundCall.start(token, method, uri, abortOnCancel);
        if (propagateDeadline && call.budgetMillis() >= 0 && deadlineHeaderHosts.matches(uri)) {
            call.sendBudgetIn(deadlineHeader, additionalHeaders);
        }
        return call;
    }

    /**
     * The value of the deadline header for {@code call}, as of now; {@code null} to send none (no deadline,
     * propagation off, a host not in {@link #deadlineHeaderHosts()}, or a smaller value already on the request,
     * which is kept: a caller may ask for less, never for more). The call remembers {@code existing}, so that a
     * client hook that sets the header again when the request leaves ({@link OutboundCall#budgetHeaderValue()})
     * keeps a smaller value too.
     *
     * @param existing the header's value already on the request, {@code null} if none
     */
    public @Nullable String headerValue(OutboundCall call, @Nullable String existing) {
        if (call.budgetHeader() == null) {
            return null;
        }
        call.keepCallerValue(existing);
        return call.callerAskedLess() ? null : call.budgetHeaderValue();
    }

    /**
     * Checks an HTTP header name (RFC 9110 token characters).
     *
     * @throws IllegalArgumentException naming {@code what} and the value
     */
    static String checkHeaderName(String name, String what) {
        Objects.requireNonNull(name, what);
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!token) {
                throw new IllegalArgumentException(what + " '" + name + "' is not a valid HTTP header name: '"
                        + c + "' at index " + i);
            }
        }
        return name;
    }

    @Override
    public String toString() {
        return "HttpClientCancellation[header=" + (propagateDeadline ? deadlineHeader : "off")
                + ", hosts=" + deadlineHeaderHosts + ", abortOnCancel=" + abortOnCancel + "]";
    }
}
