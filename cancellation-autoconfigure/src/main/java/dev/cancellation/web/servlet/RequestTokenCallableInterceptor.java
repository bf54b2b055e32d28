package dev.cancellation.web.servlet;

import dev.cancellation.Cancellation;
import dev.cancellation.web.InFlightRequest;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.async.CallableProcessingInterceptor;

/**
 * Makes the request's token current on the executor thread that runs a {@code Callable} (or a
 * {@code StreamingResponseBody}, which Spring MVC runs as one) returned by a handler, for the time it runs.
 *
 * <p>Thread-safety: the binding lives in the executor thread's own scope, opened in {@link #preProcess} and closed
 * in {@link #postProcess}, which Spring MVC calls on that same thread.
 */
public class RequestTokenCallableInterceptor implements CallableProcessingInterceptor {

    private static final ThreadLocal<Cancellation.Scope> SCOPE = new ThreadLocal<>();

    @Override
    public <T> void preProcess(NativeWebRequest request, Callable<T> task) {
        Object inFlight = request.getAttribute(RequestCancellationFilter.ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
        if (inFlight instanceof InFlightRequest current) {
            SCOPE.set(Cancellation.enter(current.token()));
        }
    }

    @Override
    public <T> void postProcess(NativeWebRequest request, Callable<T> task, @Nullable Object concurrentResult) {
        Cancellation.Scope scope = SCOPE.get();
        if (scope != null) {
            SCOPE.remove();
            scope.close();
        }
    }
}
