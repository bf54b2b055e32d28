package dev.cancellation.autoconfigure;

import dev.cancellation.BudgetFormat;
import dev.cancellation.http.HttpClientCancellation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Outbound HTTP calls under a token, bound from {@code cancellation.http.client.*}: the remaining budget sent along
 * and the abort of calls whose token is cancelled.
 *
 * <p>A header name that is not a valid HTTP token fails the startup with the property, the value and the first
 * bad character; a host pattern that is not one fails it with the property, the index and the pattern. Thread-safety: written by the binder once at startup, read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.http.client")
public class CancellationHttpClientProperties {

    /**
     * Whether {@code RestClient}, {@code RestTemplate} and {@code WebClient} built from Boot's auto-configured
     * builders honour the current token (budget header, fail fast, abort on cancel).
     */
    private boolean enabled = true;

    /** Whether a call made under a token with a deadline sends the remaining milliseconds in the deadline header. */
    private boolean propagateDeadline = true;

    /** Name of the header that carries the remaining budget, in whole milliseconds. */
    private String deadlineHeader = HttpClientCancellation.DEFAULT_DEADLINE_HEADER;

    /**
     * Hosts that receive the deadline header: {@code *} (every host), a host name or IP address matched exactly
     * ({@code stock.internal}, {@code 10.0.0.7}), or {@code *.example.com} for every name under
     * {@code example.com}; case-insensitive, no port. Keep the budget from third parties by listing your own
     * services. Refusing spent calls and aborting cancelled ones apply to every host.
     */
    private List<String> deadlineHeaderHosts = new ArrayList<>(List.of("*"));

    /**
     * More headers that carry the remaining budget to the same hosts, each with its format: 'milliseconds' (e.g.
     * x-envoy-upstream-rq-timeout-ms, which tells an Envoy or Istio sidecar the call's timeout) or 'grpc-timeout'
     * (gRPC's format, e.g. '250m').
     */
    private Map<String, BudgetFormat> additionalDeadlineHeaders = new LinkedHashMap<>();

    /**
     * Whether cancelling the token aborts a call in flight at once (the connection is closed and the caller gets
     * the {@code TaskCancelledException}); when off, the call runs until the client's own timeouts.
     */
    private boolean abortOnCancel = true;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean isPropagateDeadline() {
        return propagateDeadline;
    }

    public void setPropagateDeadline(boolean propagateDeadline) {
        this.propagateDeadline = propagateDeadline;
    }

    public String getDeadlineHeader() {
        return deadlineHeader;
    }

    public void setDeadlineHeader(String deadlineHeader) {
        if (deadlineHeader == null || deadlineHeader.isBlank()) {
            throw new IllegalArgumentException("cancellation.http.client.deadline-header must not be empty "
                    + "(leave it out for the default " + HttpClientCancellation.DEFAULT_DEADLINE_HEADER
                    + ", or set cancellation.http.client.propagate-deadline=false)");
        }
        // validates the name, and names the property in the message
        new HttpClientCancellation(deadlineHeader.trim(), true, true);
        this.deadlineHeader = deadlineHeader.trim();
    }

    public List<String> getDeadlineHeaderHosts() {
        return deadlineHeaderHosts;
    }

    public void setDeadlineHeaderHosts(List<String> deadlineHeaderHosts) {
        // validates every pattern, and names the property, the index and the pattern in the message
        new HttpClientCancellation(HttpClientCancellation.DEFAULT_DEADLINE_HEADER, true, true, deadlineHeaderHosts);
        this.deadlineHeaderHosts = new ArrayList<>(deadlineHeaderHosts);
    }

    public Map<String, BudgetFormat> getAdditionalDeadlineHeaders() {
        return additionalDeadlineHeaders;
    }

    public void setAdditionalDeadlineHeaders(@Nullable Map<String, BudgetFormat> additionalDeadlineHeaders) {
        Map<String, BudgetFormat> headers = (additionalDeadlineHeaders != null)
                ? new LinkedHashMap<>(additionalDeadlineHeaders) : new LinkedHashMap<>();
        // validates every name, and names the property in the message
        new HttpClientCancellation(HttpClientCancellation.DEFAULT_DEADLINE_HEADER, true, true, List.of("*"), headers);
        this.additionalDeadlineHeaders = headers;
    }

    public boolean isAbortOnCancel() {
        return abortOnCancel;
    }

    public void setAbortOnCancel(boolean abortOnCancel) {
        this.abortOnCancel = abortOnCancel;
    }

    /** The settings these properties describe. */
    public HttpClientCancellation toSettings() {
        return new HttpClientCancellation(deadlineHeader, propagateDeadline, abortOnCancel, deadlineHeaderHosts,
                additionalDeadlineHeaders);
    }
}
