/**
 * The inbound HTTP edge on Spring WebFlux: {@link RequestCancellationWebFilter}, a {@code WebFilter} that gives each
 * request its token (in the Reactor context) and notices disconnects; {@link CancellationWebExceptionHandler}, a
 * {@code WebExceptionHandler} that answers cancelled requests with problem details; {@link RouteNames}, the task
 * name of a request from the application's {@code HandlerMapping}s, when requests are registered as tasks. The
 * coroutine context of Kotlin {@code suspend} handlers, which keeps the token current in them, is internal.
 */
@NullMarked
package dev.cancellation.web.reactive;

import org.jspecify.annotations.NullMarked;
