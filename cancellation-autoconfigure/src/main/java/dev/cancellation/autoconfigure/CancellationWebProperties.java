package dev.cancellation.autoconfigure;

import dev.cancellation.BudgetFormat;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the inbound HTTP edge (request tokens, the caller's deadline header, disconnects, problem
 * details), bound from {@code cancellation.web.*}. Invalid values (a blank header name, a budget that is not
 * positive, a default above the cap, a negative drain) fail the startup with a message naming the property.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.web")
public class CancellationWebProperties {

    /** Whether every request runs under a request token with the caller's deadline. */
    private boolean enabled = true;

    /**
     * Request header carrying the caller's remaining time budget in milliseconds, as a decimal integer. A value of
     * 0 or less answers 504 without running the handler; a malformed value answers 400.
     */
    private String deadlineHeader = "X-Request-Timeout";

    /**
     * More request headers that may carry the caller's budget, each with its format: 'milliseconds' (e.g.
     * x-envoy-expected-rq-timeout-ms, set by Envoy and Istio) or 'grpc-timeout' (gRPC's format, e.g. '250m', for
     * grpc-timeout from gRPC-Web). The smallest budget of all headers present wins; the caps still apply.
     */
    private Map<String, BudgetFormat> additionalDeadlineHeaders = new LinkedHashMap<>();

    /**
     * Budget of requests that send no deadline header. Unset means none: such requests have no deadline. Unless
     * max-request-timeout is set, it also bounds what a caller may ask for: the header can shorten it, never
     * lengthen it.
     */
    private @Nullable Duration requestTimeout;

    /**
     * Cap on every request's budget, whatever the caller sends; the only way to let a caller ask for more than
     * request-timeout. Unset means the cap is request-timeout (or none when that is unset too).
     */
    private @Nullable Duration maxRequestTimeout;

    /**
     * Whether requests in flight are registered as tasks named after their matched route (e.g. "GET
     * /api/reports/{id}"), visible and cancellable in the task registry and the cancellation endpoint.
     */
    private boolean registerRequests = false;

    /**
     * How long requests in flight may finish on their own when the application shuts down, before they are
     * cancelled with reason SHUTDOWN. Other tasks are cancelled at once. 0 cancels requests at once too.
     */
    private Duration shutdownDrain = Duration.ofSeconds(5);

    /**
     * Whether a request whose task was cancelled is answered with a problem detail (504 timeout, 503 shutdown, 409
     * cancelled on request) when the application does not handle the exception itself.
     */
    private boolean problemDetails = true;

    /**
     * Whether problem details carry the cancellation reason's message ("detail" and "reason.message"). Off by
     * default: the message is free text written by whoever cancelled, not meant for clients. The body always has
     * the request's route and the reason's kind and time, never the exception's message nor the reason's origin.
     */
    private boolean problemDetailsIncludeReasonMessage = false;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getDeadlineHeader() {
        return deadlineHeader;
    }

    public void setDeadlineHeader(String deadlineHeader) {
        if (deadlineHeader == null || deadlineHeader.isBlank()) {
            throw new IllegalArgumentException("cancellation.web.deadline-header must not be blank");
        }
        this.deadlineHeader = deadlineHeader.trim();
    }

    public Map<String, BudgetFormat> getAdditionalDeadlineHeaders() {
        return additionalDeadlineHeaders;
    }

    public void setAdditionalDeadlineHeaders(@Nullable Map<String, BudgetFormat> additionalDeadlineHeaders) {
        this.additionalDeadlineHeaders = (additionalDeadlineHeaders != null)
                ? new LinkedHashMap<>(additionalDeadlineHeaders) : new LinkedHashMap<>();
    }

    public @Nullable Duration getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(@Nullable Duration requestTimeout) {
        this.requestTimeout = requirePositive(requestTimeout, "cancellation.web.request-timeout");
    }

    public @Nullable Duration getMaxRequestTimeout() {
        return maxRequestTimeout;
    }

    public void setMaxRequestTimeout(@Nullable Duration maxRequestTimeout) {
        this.maxRequestTimeout = requirePositive(maxRequestTimeout, "cancellation.web.max-request-timeout");
    }

    public boolean isRegisterRequests() {
        return registerRequests;
    }

    public void setRegisterRequests(boolean registerRequests) {
        this.registerRequests = registerRequests;
    }

    public Duration getShutdownDrain() {
        return shutdownDrain;
    }

    public void setShutdownDrain(@Nullable Duration shutdownDrain) {
        if (shutdownDrain != null && shutdownDrain.isNegative()) {
            throw new IllegalArgumentException("cancellation.web.shutdown-drain must not be negative, but was "
                    + shutdownDrain);
        }
        this.shutdownDrain = (shutdownDrain != null) ? shutdownDrain : Duration.ZERO;
    }

    public boolean isProblemDetails() {
        return problemDetails;
    }

    public void setProblemDetails(boolean problemDetails) {
        this.problemDetails = problemDetails;
    }

    public boolean isProblemDetailsIncludeReasonMessage() {
        return problemDetailsIncludeReasonMessage;
    }

    public void setProblemDetailsIncludeReasonMessage(boolean problemDetailsIncludeReasonMessage) {
        this.problemDetailsIncludeReasonMessage = problemDetailsIncludeReasonMessage;
    }

    private static @Nullable Duration requirePositive(@Nullable Duration value, String property) {
        if (value != null && (value.isNegative() || value.isZero())) {
            throw new IllegalArgumentException(property + " must be positive, but was " + value);
        }
        return value;
    }
}
