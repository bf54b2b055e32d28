package dev.cancellation.web.servlet;

import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRejectedException;
import dev.cancellation.web.InFlightRequest;
import dev.cancellation.web.RequestNames;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import org.springframework.web.servlet.AsyncHandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Registers each request as a task named after its matched route ({@code GET /api/reports/{id}}, never the raw
 * URI; a non-standard method and an unmatched route are {@code UNKNOWN}, see {@link RequestNames}) once the
 * handler is known, and makes the task's token current while the handler runs (on the first
 * dispatch and on async dispatches), so the request's {@code @Cancellable} calls are its child tasks. Cancelling
 * the task cancels the request. Installed when {@code cancellation.web.register-requests=true}.
 *
 * <p>A request that arrives after the registry stopped admitting tasks (shutdown) runs unregistered.
 *
 * <p>Thread-safety: stateless; per-request state lives in request attributes.
 */
public class RequestTaskInterceptor implements AsyncHandlerInterceptor {

    private static final String ATTACHMENT = RequestTaskInterceptor.class.getName() + ".attachment";

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(request.getAttribute(RequestCancellationFilter.ATTRIBUTE) instanceof InFlightRequest inFlight)) {
            return true;
        }
        TaskHandle task = inFlight.task();
        if (task == null) {
            try {
                task = inFlight.register(routeName(request));
            } catch (TaskRejectedException shuttingDown) {
                return true;
            }
        }
        request.setAttribute(ATTACHMENT, task.attach());
        return true;
    }

    /** The request's name: method and matched route, neither chosen by the client (see {@link RequestNames}). */
    static String routeName(HttpServletRequest request) {
        return RequestNames.of(request.getMethod(),
                request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE));
    }

    @Override
    public void afterConcurrentHandlingStarted(HttpServletRequest request, HttpServletResponse response,
            Object handler) {
        detach(request);
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler,
            @Nullable Exception ex) {
        detach(request);
    }

    private static void detach(HttpServletRequest request) {
        if (request.getAttribute(ATTACHMENT) instanceof TaskAttachment attachment) {
            request.removeAttribute(ATTACHMENT);
            attachment.close();
        }
    }
}
