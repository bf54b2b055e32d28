package dev.cancellation.http;

import java.io.IOException;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.classic.ExecChainHandler;
import org.apache.hc.core5.concurrent.Cancellable;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpException;

/**
 * Apache HttpClient 5 (classic) hook of {@link OutboundCall}: for a request sent under a token, attaches the
 * request's own {@code cancel()} and the discard of its connection as the call's abort (a pending connection
 * lease is given up, an open connection is shut, so a blocked read fails at once). Add it first in the execution
 * chain, e.g.
 * {@code HttpClientBuilder.addExecInterceptorFirst(HttpComponentsAbortHandler.NAME, new HttpComponentsAbortHandler())},
 * and {@link HttpComponentsBudgetHandler} just before the main transport; the auto-configuration does both for
 * clients built by Boot's {@code ClientHttpRequestFactoryBuilder}.
 *
 * <p>Requests sent outside an {@link OutboundCall} pass through untouched. Thread-safety: stateless.
 */
public final class HttpComponentsAbortHandler implements ExecChainHandler {

    /** Name of the handler in the execution chain. */
    public static final String NAME = "cancellation-abort";

    @Override
    public ClassicHttpResponse execute(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        OutboundCall call = OutboundCall.sending();
        if (call != null) {
            // cancel() also stops a pending connection lease; discarding the endpoint closes the connection even
            // when the request's cancellable has already moved on (the response body is being read)
            Cancellable cancellable = (scope.originalRequest instanceof Cancellable original) ? original : null;
            call.attachAbort(cause -> {
                if (cancellable != null) {
                    cancellable.cancel();
                }
                scope.execRuntime.discardEndpoint();
            });
        }
        return chain.proceed(request, scope);
    }
}
