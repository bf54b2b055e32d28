package dev.cancellation.web.reactive;

import dev.cancellation.web.CancellationProblems;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;

/**
 * Answers a WebFlux request whose handler failed because its task was cancelled or refused at shutdown with a
 * problem detail: {@code 504} timeout, {@code 503} shutdown, {@code 409} cancel by an operator or code (see
 * {@link CancellationProblems}).
 *
 * <p>Exceptions the application handles itself ({@code @ExceptionHandler}, {@code @ControllerAdvice}) never reach
 * a {@code WebExceptionHandler}: WebFlux resolves those inside the dispatch. This handler is ordered {@code -2},
 * just before Spring Boot's {@code ErrorWebExceptionHandler} ({@code -1}), so an application's own
 * {@code WebExceptionHandler} with a higher precedence still wins.
 *
 * <p>Thread-safety: stateless.
 */
public class CancellationWebExceptionHandler implements WebExceptionHandler, Ordered {

    /** Just before Boot's {@code DefaultErrorWebExceptionHandler} ({@code -1}). */
    public static final int DEFAULT_ORDER = -2;

    @Override
    public int getOrder() {
        return DEFAULT_ORDER;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        RuntimeException cancellation = CancellationProblems.findCancellation(ex);
        if (cancellation == null || exchange.getResponse().isCommitted()) {
            return Mono.error(ex);
        }
        return RequestCancellationWebFilter.write(exchange.getResponse(),
                CancellationProblems.forFailure(cancellation, exchange.getRequest().getPath().value()));
    }
}
