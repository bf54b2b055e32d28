/**
 * The inbound HTTP edge on Spring MVC (Servlet): {@link RequestCancellationFilter}, a servlet {@code Filter} that
 * gives each request its token and notices disconnects; {@link CancellationHandlerExceptionResolver}, a
 * {@code HandlerExceptionResolver} that answers cancelled requests with problem details;
 * {@link RequestTaskInterceptor}, a {@code HandlerInterceptor} that registers requests as tasks named after their
 * route; {@link RequestTokenCallableInterceptor}, a {@code CallableProcessingInterceptor} that makes the token
 * current for async {@code Callable}s; {@link CoroutineHandlerAdapter}, Spring MVC's handler adapter running Kotlin
 * {@code suspend} handler methods with the token current across their suspensions. The response wrapper that sees
 * failed writes is internal.
 */
@NullMarked
package dev.cancellation.web.servlet;

import org.jspecify.annotations.NullMarked;
