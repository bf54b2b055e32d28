package dev.cancellation.http;

import dev.cancellation.CancellationToken;
import java.io.IOException;
import java.util.Objects;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Makes {@code RestClient} and {@code RestTemplate} calls (and HTTP interface clients built on them) honour the
 * {@linkplain CancellationToken#current() current token}:
 * <ul>
 *   <li>a call whose token is already cancelled, or whose deadline has passed, fails at once with
 *       {@code TaskCancelledException} / {@code TaskTimeoutException}, without sending anything;</li>
 *   <li>with a deadline, the request carries the remaining whole milliseconds in the deadline header
 *       ({@code X-Request-Timeout} by default);</li>
 *   <li>cancelling the token while the exchange is in flight (waiting for the response or reading its body)
 *       aborts it, and the caller gets the {@code TaskCancelledException} with the client's I/O error as the
 *       cause, not a {@code ResourceAccessException}. See {@link OutboundCall} for how each client is aborted.</li>
 * </ul>
 * Calls made without a current token pass through untouched. Register it last, so that it runs closest to the
 * wire (a retrying interceptor before it then gets the remaining budget computed anew for every attempt).
 *
 * <p>Thread-safety: stateless apart from its immutable settings; one instance serves any number of clients and
 * threads.
 */
public final class CancellationClientHttpRequestInterceptor implements ClientHttpRequestInterceptor {

    private final HttpClientCancellation settings;

    public CancellationClientHttpRequestInterceptor() {
        this(HttpClientCancellation.defaults());
    }

    public CancellationClientHttpRequestInterceptor(HttpClientCancellation settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
            throws IOException {
        OutboundCall call = settings.start(CancellationToken.current(), request.getMethod().name(), request.getURI());
        if (call == null) {
            return execution.execute(request, body);
        }
        boolean handedOver = false;
        try {
            String header = settings.deadlineHeader();
            String value = settings.headerValue(call, request.getHeaders().getFirst(header));
            if (value != null) {
                request.getHeaders().set(header, value);
            }
            call.additionalBudgetHeaders(request.getHeaders().getFirst(header)).forEach(request.getHeaders()::set);
            ClientHttpResponse response = call.run(() -> execution.execute(request, body), true);
            handedOver = true;
            return settings.abortOnCancel() ? new CancellableClientHttpResponse(response, call) : response;
        } finally {
            if (!handedOver || !settings.abortOnCancel()) {
                call.close();
            }
        }
    }
}
