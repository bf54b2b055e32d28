package dev.cancellation.web.reactive;

import dev.cancellation.web.CancellationProblems;
import dev.cancellation.web.InFlightRequest;
import dev.cancellation.web.RequestNames;
import org.springframework.core.Ordered;
import org.springframework.web.reactive.HandlerMapping;
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
 * <p>A timeout that is the request's own deadline (the caller's budget or the configured default, found through the
 * request token that {@link RequestCancellationWebFilter} keeps in an exchange attribute) is titled
 * "Request deadline exceeded"; a task's own shorter timeout "Task timed out".
 *
 * <p>The body names the request by its method and route and gives the reason's kind, nothing internal (see
 * {@link CancellationProblems#forFailure(RuntimeException, String, String, boolean)}).
 *
 * <p>Thread-safety: immutable.
 */
public class CancellationWebExceptionHandler implements WebExceptionHandler, Ordered {

    /** Just before Boot's {@code DefaultErrorWebExceptionHandler} ({@code -1}). */
    public static final int DEFAULT_ORDER = -2;

    private final boolean includeReasonMessage;

    /** Creates the handler; problems leave out the reason's message. */
    public CancellationWebExceptionHandler() {
        this(false);
    }

    /**
     * Creates the handler.
     *
     * @param includeReasonMessage whether problems carry the reason's message (free text by whoever cancelled)
     */
    public CancellationWebExceptionHandler(boolean includeReasonMessage) {
        this.includeReasonMessage = includeReasonMessage;
    }

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
        Object pattern = exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        String name = (pattern != null) ? RequestNames.of(exchange.getRequest().getMethod().name(), pattern) : null;
        InFlightRequest inFlight = exchange.getAttribute(RequestCancellationWebFilter.ATTRIBUTE);
        return RequestCancellationWebFilter.write(exchange.getResponse(), CancellationProblems.forFailure(
                cancellation, exchange.getRequest().getPath().value(), name, includeReasonMessage,
                (inFlight != null) ? inFlight.requestToken() : null));
    }
}
