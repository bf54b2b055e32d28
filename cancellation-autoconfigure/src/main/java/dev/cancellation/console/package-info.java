/**
 * The operator's console: a page served under the management base path that shows the tasks of the
 * {@code cancellation} endpoint as a tree, refreshes them by polling, and cancels them where the endpoint's access
 * allows it.
 *
 * <p>API: {@link CancellationConsoleEndpoint}, a web-only actuator endpoint ({@code cancellationconsole}) that serves
 * the page and its script from the jar, so it is mapped by whichever management server the application runs
 * (Spring MVC or WebFlux, on the main or a separate port) and matched by Spring Security's {@code EndpointRequest}
 * like every endpoint. {@link CancellationConsoleRuntimeHints} register the page's files for AOT processing.
 *
 * <p>Glue over Spring Boot Actuator's endpoint model; the page talks to the {@code cancellation} endpoint over HTTP
 * only, so this package imports nothing of {@code dev.cancellation.actuate}. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationConsoleAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.console;

import org.jspecify.annotations.NullMarked;
