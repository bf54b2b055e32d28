package dev.cancellation.http;

import java.io.IOException;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.util.Timeout;

/**
 * Apache HttpClient 5 (classic) hook of {@link OutboundCall} that applies the budget when the request leaves: it
 * runs just before the main transport, after the wait for a pooled connection, the connect and the TLS handshake,
 * so the budget header counts none of them, and a budget spent meanwhile sends nothing. It also lowers the
 * request's response timeout to what is left, but only where that timeout is set and longer (or disabled): when
 * the request config has none, the connection's socket timeout applies (Boot's {@code read-timeout} is one), which
 * a response timeout would replace, so it is left alone and the abort at the deadline ends the call. Add it with
 * {@code HttpClientBuilder.addExecInterceptorBefore(ChainElement.MAIN_TRANSPORT.name(), HttpComponentsBudgetHandler.NAME, new HttpComponentsBudgetHandler())};
 * the auto-configuration does so for clients built by Boot's {@code ClientHttpRequestFactoryBuilder}.
 *
 * <p>Requests sent outside an {@link OutboundCall} pass through untouched. Thread-safety: stateless.
 */
public final class HttpComponentsBudgetHandler implements ExecChainHandler {

    /** Name of the handler in the execution chain. */
    public static final String NAME = "cancellation-budget";

    @Override
    public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        OutboundCall call = OutboundCall.sending();
        if (call != null && call.remainingMillis() > 0) {
            call.throwIfCancelled(); // the budget ran out while waiting for a connection: send nothing
            long remaining = call.remainingMillis();
            RequestConfig config = scope.clientContext.getRequestConfigOrDefault();
            Timeout current = config.getResponseTimeout();
            if (current != null && (current.isDisabled() || current.toMilliseconds() > remaining)) {
                scope.clientContext.setRequestConfig(RequestConfig.copy(config)
                        .setResponseTimeout(Timeout.ofMilliseconds(remaining)).build());
            }
            String header = call.budgetHeader();
            String value = call.budgetHeaderValue();
            if (header != null && value != null) {
                request.setHeader(header, value);
            }
            Header sent = (header != null) ? request.getFirstHeader(header) : null;
            if (sent != null) {
                call.additionalBudgetHeaders(sent.getValue()).forEach(request::setHeader);
            }
        }
        return chain.proceed(request, scope);
    }
}
