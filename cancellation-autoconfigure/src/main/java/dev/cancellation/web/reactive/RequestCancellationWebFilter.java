package dev.cancellation.web.reactive;

import dev.cancellation.CancellationToken;
import dev.cancellation.spring.CancellationTokenAccessor;
import dev.cancellation.task.TaskRejectedException;
import dev.cancellation.web.CancellationProblems;
import dev.cancellation.web.InFlightRequest;
import dev.cancellation.web.InFlightRequests;
import dev.cancellation.web.RequestDeadlines;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.ClassUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every WebFlux request a token and a deadline: the caller's budget from the deadline header (see
 * {@link RequestDeadlines}). The token is in the Reactor {@code Context} under
 * {@link CancellationTokenAccessor#KEY}, where {@code @Cancellable} methods returning {@code Mono}/{@code Flux}
 * find their parent; with Reactor's automatic context propagation
 * ({@code spring.reactor.context-propagation=auto}) it is also {@link CancellationToken#current()} on whatever
 * thread runs the handler, for synchronous {@code @Cancellable} calls.
 *
 * <ul>
 *   <li>A malformed header answers {@code 400} and a spent budget ({@code 0} or less) {@code 504}, both as
 *       problem details, without running the handler.</li>
 *   <li>The server cancelling the response (the client went away) cancels the token with reason
 *       {@code REQUESTED}, origin {@code client disconnected}.</li>
 *   <li>With a route resolver (property {@code cancellation.web.register-requests}), the request is registered
 *       as a task named after its matched route, and that task's token is the one in the context.</li>
 *   <li>Kotlin {@code suspend} handler methods (and {@code coRouter} handlers) run in a coroutine context that
 *       makes the token {@link CancellationToken#current()} across their suspensions and threads, with or without
 *       Reactor's automatic context propagation (see {@link HandlerCoroutineContext}), when Kotlin's coroutines
 *       for Reactor and Micrometer's context propagation are on the class path.</li>
 * </ul>
 *
 * <p>Thread-safety: stateless apart from the shared {@link InFlightRequests}; one instance serves all requests.
 */
public class RequestCancellationWebFilter implements WebFilter, Ordered {

    /** The exchange attribute holding the {@link InFlightRequest}. */
    public static final String ATTRIBUTE = InFlightRequest.class.getName();

    /** Kotlin's coroutines for Reactor, Micrometer's context propagation and Spring's element that joins them. */
    private static final boolean COROUTINES = isPresent("kotlinx.coroutines.reactor.MonoKt")
            && isPresent("io.micrometer.context.ContextSnapshotFactory")
            && isPresent("org.springframework.core.PropagationContextElement");

    /** Early, so that the token is in the context of every later filter. */
    public static final int DEFAULT_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    private final RequestDeadlines deadlines;
    private final InFlightRequests requests;
    private final @Nullable Function<ServerWebExchange, Mono<String>> routeNames;
    private int order = DEFAULT_ORDER;

    /**
     * Creates the filter.
     *
     * @param routeNames the task name of a request (its matched route), {@code null} not to register requests
     */
    public RequestCancellationWebFilter(RequestDeadlines deadlines, InFlightRequests requests,
            @Nullable Function<ServerWebExchange, Mono<String>> routeNames) {
        this.deadlines = deadlines;
        this.requests = requests;
        this.routeNames = routeNames;
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
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        RequestDeadlines.Admission admission = deadlines.admitOf(name -> request.getHeaders().get(name),
                request.getPath().value());
        if (admission.problem() != null) {
            return write(exchange.getResponse(), admission.problem());
        }
        if (COROUTINES) {
            HandlerCoroutineContext.install(exchange); // loads Kotlin types only where they are present
        }
        return Mono.defer(() -> {
            InFlightRequest inFlight = requests.open(admission.budget().timeout());
            exchange.getAttributes().put(ATTRIBUTE, inFlight); // for the exception handler: whose deadline ran out
            Mono<CancellationToken> token = (routeNames == null) ? Mono.just(inFlight.requestToken())
                    : routeNames.apply(exchange).map(name -> register(inFlight, name))
                            .defaultIfEmpty(inFlight.requestToken());
            return token.flatMap(current -> chain.filter(exchange)
                            .contextWrite(context -> context.put(CancellationTokenAccessor.KEY, current)))
                    .doOnCancel(() -> inFlight.cancel(InFlightRequest.clientDisconnected()))
                    .doFinally(signal -> inFlight.close());
        });
    }

    private static CancellationToken register(InFlightRequest inFlight, String name) {
        try {
            return inFlight.register(name).token();
        } catch (TaskRejectedException shuttingDown) {
            return inFlight.requestToken();
        }
    }

    private static boolean isPresent(String className) {
        return ClassUtils.isPresent(className, RequestCancellationWebFilter.class.getClassLoader());
    }

    static Mono<Void> write(ServerHttpResponse response, ProblemDetail problem) {
        if (response.isCommitted()) {
            return Mono.empty();
        }
        byte[] body = CancellationProblems.toJson(problem);
        response.setStatusCode(HttpStatus.valueOf(problem.getStatus()));
        response.getHeaders().setContentType(MediaType.parseMediaType(CancellationProblems.MEDIA_TYPE));
        response.getHeaders().setContentLength(body.length);
        DataBuffer buffer = response.bufferFactory().wrap(body);
        return response.writeWith(Mono.just(buffer));
    }
}
