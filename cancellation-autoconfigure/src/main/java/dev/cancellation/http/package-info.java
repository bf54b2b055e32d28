/**
 * Outbound HTTP calls under a token: the remaining budget travels in a header ({@code X-Request-Timeout}), a call
 * whose budget is spent is refused before it is sent, and cancelling the token aborts the call in flight.
 *
 * <ul>
 *   <li>{@link dev.cancellation.http.CancellationClientHttpRequestInterceptor}: {@code RestClient},
 *       {@code RestTemplate} and the HTTP interface clients on them;</li>
 *   <li>{@link dev.cancellation.http.CancellationExchangeFilterFunction}: {@code WebClient};</li>
 *   <li>{@link dev.cancellation.http.CancellableHttpClient}: a plain {@code java.net.http.HttpClient};</li>
 *   <li>{@link dev.cancellation.http.HttpComponentsAbortHandler}, {@link dev.cancellation.http.JettyAbortListener}:
 *       the native aborts of Apache HttpClient 5 and Jetty;</li>
 *   <li>{@link dev.cancellation.http.OutboundCall}: one call, its budget and its abort, shared by all of them.</li>
 * </ul>
 * An edge on top of the token model; it knows nothing of the other edges. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationHttpClientAutoConfiguration}.
 */
package dev.cancellation.http;
