/**
 * The inbound HTTP edge, what Spring MVC and WebFlux share: each request runs under a token of its own, with the
 * caller's deadline header as its budget; a client that goes away cancels it; cancelled requests are answered with
 * problem details; requests in flight get a drain period at shutdown.
 *
 * <p>API: {@link RequestDeadlines} (the header policy, {@link MalformedDeadlineHeaderException} for a bad value),
 * {@link InFlightRequests} and its {@link InFlightRequest}s (the requests being answered, and the
 * {@link dev.cancellation.lifecycle.ShutdownDrain} that drains them), {@link CancellationProblems} (the RFC 9457
 * answers), {@link RequestNames} (a request's name: method and route, nothing the client chose). The stack-specific filters and handlers are in {@link dev.cancellation.web.servlet} and
 * {@link dev.cancellation.web.reactive}. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationWebAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.web;

import org.jspecify.annotations.NullMarked;
