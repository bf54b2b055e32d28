package dev.cancellation.web.reactive;

import kotlin.coroutines.CoroutineContext;
import kotlinx.coroutines.Dispatchers;
import org.springframework.core.PropagationContextElement;
import org.springframework.web.server.CoWebFilter;
import org.springframework.web.server.ServerWebExchange;

/**
 * The coroutine context in which WebFlux runs a request's Kotlin {@code suspend} handler methods (and
 * {@code coRouter} handlers), so that the request's token is {@link dev.cancellation.CancellationToken#current()}
 * in them across suspensions and threads: Spring's own choice under Reactor's automatic context propagation, an
 * unconfined dispatcher with Spring's {@link PropagationContextElement}, which at every resumption sets the
 * thread locals registered with Micrometer's context propagation (the token among them) from the Reactor context
 * of the call, where {@link RequestCancellationWebFilter} put the token. Handed to Spring through the exchange
 * attribute {@link CoWebFilter#COROUTINE_CONTEXT_ATTRIBUTE}, WebFlux's extension point for that context.
 *
 * <p>One context serves every request: the element reads the Reactor context of each call (always present in
 * handler invocations); the thread locals it captured when created are only its fallback for a coroutine without
 * one. Loaded only when Kotlin's coroutines for Reactor and Micrometer's context propagation are on the class path.
 *
 * <p>Thread-safety: immutable.
 */
final class HandlerCoroutineContext {

    private static final CoroutineContext CONTEXT = Dispatchers.getUnconfined().plus(new PropagationContextElement());

    private HandlerCoroutineContext() {
    }

    /**
     * Sets the attribute, or adds the element to a context already set there without one. A {@code CoWebFilter}
     * later in the chain replaces the attribute with its own coroutine's context.
     */
    static void install(ServerWebExchange exchange) {
        Object existing = exchange.getAttributes().putIfAbsent(CoWebFilter.COROUTINE_CONTEXT_ATTRIBUTE, CONTEXT);
        if (existing instanceof CoroutineContext context && context.get(PropagationContextElement.Key) == null) {
            exchange.getAttributes().put(CoWebFilter.COROUTINE_CONTEXT_ATTRIBUTE,
                    context.plus(CONTEXT.get(PropagationContextElement.Key)));
        }
    }
}
