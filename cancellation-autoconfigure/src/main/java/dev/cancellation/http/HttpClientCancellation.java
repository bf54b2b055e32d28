package dev.cancellation.http;

import dev.cancellation.CancellationToken;
import java.net.URI;
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

    /**
     * @param deadlineHeader name of the header carrying the remaining milliseconds
     * @param propagateDeadline whether to send that header
     * @param abortOnCancel whether cancelling the token aborts an exchange in flight
     * @throws IllegalArgumentException if {@code deadlineHeader} is not a valid HTTP header name
     */
    public HttpClientCancellation(String deadlineHeader, boolean propagateDeadline, boolean abortOnCancel) {
        this.deadlineHeader = checkHeaderName(deadlineHeader, "cancellation.http.client.deadline-header");
        this.propagateDeadline = propagateDeadline;
        this.abortOnCancel = abortOnCancel;
    }

    /** {@code X-Request-Timeout} sent, abort on cancel. */
    public static HttpClientCancellation defaults() {
        return DEFAULTS;
    }

    public String deadlineHeader() {
        return deadlineHeader;
    }

    public boolean propagateDeadline() {
        return propagateDeadline;
    }

    public boolean abortOnCancel() {
        return abortOnCancel;
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

    private static @Nullable OutboundCall start(@Nullable CancellationToken token, String method, URI uri,
            boolean abortOnCancel) {
        if (token == null || token.isNone()) {
            return null;
        }
        return OutboundCall.start(token, method, uri, abortOnCancel);
    }

    /**
     * The value of the deadline header for {@code call}; {@code null} to send none (no deadline, propagation off, or
     * a smaller value already on the request, which is kept: a caller may ask for less, never for more).
     *
     * @param existing the header's value already on the request, {@code null} if none
     */
    public @Nullable String headerValue(OutboundCall call, @Nullable String existing) {
        if (!propagateDeadline || call.budgetMillis() < 0) {
            return null;
        }
        long budget = call.budgetMillis();
        if (existing != null) {
            try {
                long asked = Long.parseLong(existing.trim());
                if (asked >= 0 && asked < budget) {
                    return null;
                }
            } catch (NumberFormatException ignored) {
                // not ours to keep: replaced by the real budget
            }
        }
        return Long.toString(budget);
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
                + ", abortOnCancel=" + abortOnCancel + "]";
    }
}
