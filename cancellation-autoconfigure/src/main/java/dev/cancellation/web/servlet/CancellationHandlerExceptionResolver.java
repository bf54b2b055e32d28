package dev.cancellation.web.servlet;

import dev.cancellation.web.CancellationProblems;
import dev.cancellation.web.InFlightRequest;
import dev.cancellation.web.RequestNames;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.ModelAndView;

/**
 * Answers a handler that failed because its task was cancelled ({@code TaskCancelledException}, also as the cause
 * of a future's failure) or refused at shutdown ({@code TaskRejectedException}) with a problem detail: {@code 504}
 * for a timeout, {@code 503} for shutdown, {@code 409} for a cancel by an operator or code (see
 * {@link CancellationProblems}).
 *
 * <p>It is ordered {@link Ordered#LOWEST_PRECEDENCE}, after Spring MVC's own resolvers: the application's
 * {@code @ExceptionHandler} methods and {@code @ControllerAdvice} beans are asked first and win. A response that is
 * already committed (a stream cut off midway) is left alone.
 *
 * <p>A timeout that is the request's own deadline (the caller's budget or the configured default, found through the
 * request token that {@link RequestCancellationFilter} keeps in a request attribute) is titled
 * "Request deadline exceeded"; a task's own shorter timeout "Task timed out".
 *
 * <p>The body names the request by its method and route and gives the reason's kind, nothing internal (see
 * {@link CancellationProblems#forFailure(RuntimeException, String, String, boolean)}).
 *
 * <p>Thread-safety: immutable.
 */
public class CancellationHandlerExceptionResolver implements HandlerExceptionResolver, Ordered {

    private final boolean includeReasonMessage;

    /** Creates the resolver; problems leave out the reason's message. */
    public CancellationHandlerExceptionResolver() {
        this(false);
    }

    /**
     * Creates the resolver.
     *
     * @param includeReasonMessage whether problems carry the reason's message (free text by whoever cancelled)
     */
    public CancellationHandlerExceptionResolver(boolean includeReasonMessage) {
        this.includeReasonMessage = includeReasonMessage;
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public @Nullable ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response,
            @Nullable Object handler, Exception ex) {
        RuntimeException cancellation = CancellationProblems.findCancellation(ex);
        if (cancellation == null || response.isCommitted()) {
            return null;
        }
        try {
            response.resetBuffer();
            Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            String name = (pattern != null) ? RequestNames.of(request.getMethod(), pattern) : null;
            InFlightRequest inFlight = (InFlightRequest) request.getAttribute(RequestCancellationFilter.ATTRIBUTE);
            RequestCancellationFilter.write(response, CancellationProblems.forFailure(cancellation,
                    request.getRequestURI(), name, includeReasonMessage,
                    (inFlight != null) ? inFlight.requestToken() : null));
            return new ModelAndView();
        } catch (IOException | IllegalStateException writeFailed) {
            return null;
        }
    }
}
