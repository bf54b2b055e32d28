package dev.cancellation.http;

import org.eclipse.jetty.client.Request;

/**
 * Jetty client hook of {@link OutboundCall}: for a request sent under a token, attaches Jetty's
 * {@code Request.abort} as the call's abort, which fails the exchange and its response stream at once and closes
 * the connection. Jetty notifies it while the calling thread queues the request. Add it to the client with
 * {@code httpClient.getRequestListeners().addQueuedListener(new JettyAbortListener())}; the auto-configuration
 * does so for clients built by Boot's {@code ClientHttpRequestFactoryBuilder}.
 *
 * <p>Requests sent outside an {@link OutboundCall} are left alone. Thread-safety: stateless.
 */
public final class JettyAbortListener implements Request.QueuedListener {

    @Override
    public void onQueued(Request request) {
        OutboundCall call = OutboundCall.sending();
        if (call != null) {
            call.attachAbort(request::abort);
        }
    }
}
