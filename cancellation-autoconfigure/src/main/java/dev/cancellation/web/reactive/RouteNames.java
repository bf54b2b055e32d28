package dev.cancellation.web.reactive;

import dev.cancellation.web.RequestNames;
import java.util.List;
import java.util.function.Function;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The task name of a WebFlux request: its method and matched route ({@code GET /api/reports/{id}}, never the raw
 * URI; a non-standard method and an unmatched route are {@code UNKNOWN}, see {@link RequestNames}), found by asking the application's handler mappings in order, as the {@code DispatcherHandler} will. Only
 * used when requests are registered ({@code cancellation.web.register-requests}): it costs a second mapping
 * lookup per request. CORS pre-flight requests are not named (not registered).
 *
 * <p>Thread-safety: immutable after construction; the mappings are Spring's, which are thread-safe.
 */
public final class RouteNames implements Function<ServerWebExchange, Mono<String>> {

    private final List<HandlerMapping> mappings;

    /** Creates the resolver over the mappings, in the order the dispatcher uses them. */
    public RouteNames(List<HandlerMapping> mappings) {
        this.mappings = List.copyOf(mappings);
    }

    @Override
    public Mono<String> apply(ServerWebExchange exchange) {
        if (CorsUtils.isPreFlightRequest(exchange.getRequest())) {
            return Mono.empty();
        }
        String method = exchange.getRequest().getMethod().name();
        return Flux.fromIterable(mappings).concatMap(mapping -> mapping.getHandler(exchange)).next()
                .map(handler -> RequestNames.of(method,
                        exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE)))
                .defaultIfEmpty(RequestNames.UNKNOWN)
                .onErrorResume(ex -> Mono.just(RequestNames.UNKNOWN));
    }
}
