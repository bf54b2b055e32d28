/**
 * Outbound HTTP calls under a token: the remaining budget travels in a header ({@code X-Request-Timeout}), a call
 * whose budget is spent is refused before it is sent, and cancelling the token aborts the call in flight.
 *
 * <p>API, one type per client library and the extension point it plugs into:
 * <ul>
 *   <li>{@link CancellationClientHttpRequestInterceptor}, a {@code ClientHttpRequestInterceptor}: {@code RestClient},
 *       {@code RestTemplate} and the HTTP interface clients on them;</li>
 *   <li>{@link CancellationExchangeFilterFunction}, an {@code ExchangeFilterFunction}: {@code WebClient};</li>
 *   <li>{@link CancellableHttpClient}, a wrapping {@code java.net.http.HttpClient}: the JDK client used directly;</li>
 *   <li>{@link HttpComponentsAbortHandler} (an {@code ExecChainHandler}) and {@link JettyAbortListener} (a
 *       {@code Request.QueuedListener}): the native aborts of Apache HttpClient 5 and Jetty;</li>
 *   <li>{@link HttpClientCancellation}: the settings they share; {@link OutboundCall}: one call, its budget and its
 *       abort, public for hooks into other clients.</li>
 * </ul>
 * Internal: the guarded response and the Reactor Netty specifics.
 *
 * <p>An edge on top of the token model; it knows nothing of the other edges. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationHttpClientAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.http;

import org.jspecify.annotations.NullMarked;
