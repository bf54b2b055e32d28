package dev.cancellation.http;

import org.eclipse.jetty.client.Request;

/**
 * Jetty client hook of {@link OutboundCall}: for a request sent under a token, attaches Jetty's
 * {@code Request.abort} as the call's abort, which fails the exchange and its response stream at once and closes
 * the connection. Jetty notifies it while the calling thread queues the request. It also sets the budget header
 * again when Jetty begins to send the request on a connection (Jetty's "begin" event, the last moment a request
 * may be changed: after the wait for a pooled connection, the connect and the TLS handshake), so the header
 * counts none of them, and a budget spent meanwhile aborts the request instead of sending it. Add it to the
 * client with {@code httpClient.getRequestListeners().addQueuedListener(new JettyAbortListener())}; the
 * auto-configuration does so for clients built by Boot's {@code ClientHttpRequestFactoryBuilder}.
 *
 * <p>Requests sent outside an {@link OutboundCall} are left alone. Thread-safety: stateless; the begin callback
 * runs on a Jetty thread and only reads the call's immutable deadline and sets a header.
 */
public final class JettyAbortListener implements Request.QueuedListener {

    @Override
    public void onQueued(Request request) {
        OutboundCall call = OutboundCall.sending();
        if (call == null) {
            return;
        }
        call.attachAbort(request::abort);
        String header = call.budgetHeader();
        if (header != null) {
            request.onRequestBegin(begun -> {
                if (call.isCancelled()) {
                    // the caller's call.run turns this into the token's cancellation, or the deadline's timeout
                    begun.abort(new java.io.IOException("budget spent before " + call + " was sent"));
                    return;
                }
                String value = call.budgetHeaderValue();
                begun.headers(headers -> {
                    if (value != null) {
                        headers.put(header, value);
                    }
                    call.additionalBudgetHeaders(headers.get(header)).forEach(headers::put);
                });
            });
        }
    }
}
