package dev.cancellation.web.reactive;

import dev.cancellation.web.HandlerCoroutineLink;
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
 * <p>The context also has a {@link HandlerCoroutineLink} that cancels the handler's coroutine when the request's
 * token (from the same Reactor context) is cancelled, so that the request is answered with the cancellation's
 * problem detail.
 *
 * <p>One context serves every request: the elements read the Reactor context of each call (always present in handler
 * invocations); the thread locals the propagation element captured when created are only its fallback for a coroutine
 * without one; kotlinx.coroutines gives each handler's coroutine its own copy of the link. Loaded only when Kotlin's
 * coroutines for Reactor and Micrometer's context propagation are on the class path.
 *
 * <p>Thread-safety: immutable.
 */
final class HandlerCoroutineContext {

    private static final CoroutineContext CONTEXT = Dispatchers.getUnconfined().plus(new PropagationContextElement())
            .plus(HandlerCoroutineLink.fromReactorContext());

    private HandlerCoroutineContext() {
    }

    /**
     * Sets the attribute, or adds the elements to a context already set there without them. A {@code CoWebFilter}
     * later in the chain replaces the attribute with its own coroutine's context.
     */
    static void install(ServerWebExchange exchange) {
        Object existing = exchange.getAttributes().putIfAbsent(CoWebFilter.COROUTINE_CONTEXT_ATTRIBUTE, CONTEXT);
        if (existing instanceof CoroutineContext context) {
            CoroutineContext completed = context;
            if (completed.get(PropagationContextElement.Key) == null) {
                completed = completed.plus(CONTEXT.get(PropagationContextElement.Key));
            }
            if (completed.get(HandlerCoroutineLink.KEY) == null) {
                completed = completed.plus(CONTEXT.get(HandlerCoroutineLink.KEY));
            }
            if (completed != context) {
                exchange.getAttributes().put(CoWebFilter.COROUTINE_CONTEXT_ATTRIBUTE, completed);
            }
        }
    }
}
