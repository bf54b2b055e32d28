package dev.cancellation.web.servlet;

import dev.cancellation.Cancellation;
import dev.cancellation.web.CancellationProblems;
import dev.cancellation.web.InFlightRequest;
import dev.cancellation.web.InFlightRequests;
import dev.cancellation.web.RequestDeadlines;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import org.springframework.core.Ordered;
import org.springframework.http.ProblemDetail;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Gives every Servlet request a token and a deadline: the caller's budget from the deadline header (see
 * {@link RequestDeadlines}), current while the request's filters and handler run, on the first dispatch and on
 * every async dispatch, so that each {@code @Cancellable} call made for the request is a child of it and inherits
 * its deadline.
 *
 * <ul>
 *   <li>A malformed header answers {@code 400} and a spent budget ({@code 0} or less) {@code 504}, both as
 *       problem details, without running the rest of the chain.</li>
 *   <li>A client that went away cancels the token with reason {@code REQUESTED}, origin
 *       {@code client disconnected}, as soon as the server can tell: when a write to the response fails (the
 *       response is wrapped to see it), or when the container reports an error for an async request
 *       ({@link AsyncListener#onError}). The Servlet API gives no other signal: a handler that writes nothing
 *       while it works (a synchronous one, a {@code DeferredResult}, {@code CompletableFuture} or
 *       {@code Callable} on Tomcat) is stopped by its deadline, an operator or shutdown, not by a disconnect;
 *       a streaming one at its next write.</li>
 *   <li>An async request stays in flight until the container completes it; a synchronous one until the chain
 *       returns. Then the token is closed, never cancelled.</li>
 * </ul>
 *
 * <p>Thread-safety: stateless apart from the shared {@link InFlightRequests}; one instance serves all requests.
 */
public class RequestCancellationFilter extends OncePerRequestFilter implements Ordered {

    /** The request attribute holding the {@link InFlightRequest}. */
    public static final String ATTRIBUTE = InFlightRequest.class.getName();

    private static final String LISTENING = ATTRIBUTE + ".listening";

    /** Early, so that the token is current in every later filter; after Boot's character encoding filter. */
    public static final int DEFAULT_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    private final RequestDeadlines deadlines;
    private final InFlightRequests requests;
    private int order = DEFAULT_ORDER;

    /** Creates the filter. */
    public RequestCancellationFilter(RequestDeadlines deadlines, InFlightRequests requests) {
        this.deadlines = deadlines;
        this.requests = requests;
    }

    @Override
    public int getOrder() {
        return order;
    }

    /** Overrides the {@link #DEFAULT_ORDER}. */
    public void setOrder(int order) {
        this.order = order;
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false; // bind the token on async dispatches too
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        InFlightRequest inFlight = (InFlightRequest) request.getAttribute(ATTRIBUTE);
        if (inFlight == null) {
            // getHeader first: most requests carry no deadline header, and it answers without allocating
            RequestDeadlines.Admission admission = deadlines.admitOf(
                    name -> (request.getHeader(name) == null) ? null : Collections.list(request.getHeaders(name)),
                    request.getRequestURI());
            if (admission.problem() != null) {
                write(response, admission.problem());
                return;
            }
            inFlight = requests.open(admission.budget().timeout());
            request.setAttribute(ATTRIBUTE, inFlight);
        }
        try (Cancellation.Scope ignored = Cancellation.enter(inFlight.requestToken())) {
            chain.doFilter(request, (response instanceof DisconnectAwareResponse) ? response
                    : new DisconnectAwareResponse(request, response, inFlight));
        } finally {
            if (request.isAsyncStarted()) {
                if (request.getAttribute(LISTENING) == null) { // later async cycles: the listener re-adds itself
                    request.setAttribute(LISTENING, Boolean.TRUE);
                    request.getAsyncContext().addListener(new Listener(inFlight));
                }
            } else {
                inFlight.close();
            }
        }
    }

    static void write(HttpServletResponse response, ProblemDetail problem) throws IOException {
        byte[] body = CancellationProblems.toJson(problem);
        response.setStatus(problem.getStatus());
        response.setContentType(CancellationProblems.MEDIA_TYPE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }

    /** Ends the request when the container completes it; cancels it when the container reports an error. */
    private static final class Listener implements AsyncListener {

        private final InFlightRequest inFlight;

        Listener(InFlightRequest inFlight) {
            this.inFlight = inFlight;
        }

        @Override
        public void onComplete(AsyncEvent event) {
            inFlight.close();
        }

        @Override
        public void onTimeout(AsyncEvent event) {
            // The container's async timeout: Spring MVC answers it (503 by default); the request ends with onComplete.
        }

        @Override
        public void onError(AsyncEvent event) {
            inFlight.cancel(InFlightRequest.clientDisconnected());
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            event.getAsyncContext().addListener(this); // a new async cycle: stay registered
        }
    }
}
