package dev.cancellation.http;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.util.ClassUtils;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Makes {@code WebClient} exchanges honour the token of the subscriber: the one in the Reactor context under
 * {@code dev.cancellation.token} (where {@code @Cancellable} reactive methods put theirs), else the token current
 * on the thread that subscribes (a {@code block()} inside a {@code @Cancellable} method).
 * <ul>
 *   <li>an exchange whose token is already cancelled, or whose deadline has passed, fails at once with
 *       {@code TaskCancelledException} / {@code TaskTimeoutException} and sends nothing;</li>
 *   <li>with a deadline, the request carries the remaining whole milliseconds in the deadline header, and on
 *       Reactor Netty its response timeout is lowered to them;</li>
 *   <li>cancelling the token cancels the exchange (the connector closes the connection) and the response body,
 *       and the subscriber gets the {@code TaskCancelledException}.</li>
 * </ul>
 * Exchanges without a token pass through untouched.
 *
 * <p>Thread-safety: stateless apart from its immutable settings; token callbacks only signal the Reactor sink.
 */
public final class CancellationExchangeFilterFunction implements ExchangeFilterFunction {

    /** Key of the token in a Reactor context (the key of the library's context-propagation accessor). */
    public static final String TOKEN_KEY = "dev.cancellation.token";

    private static final boolean REACTOR_NETTY = ClassUtils.isPresent(
            "reactor.netty.http.client.HttpClientRequest", CancellationExchangeFilterFunction.class.getClassLoader());

    private final HttpClientCancellation settings;

    public CancellationExchangeFilterFunction() {
        this(HttpClientCancellation.defaults());
    }

    public CancellationExchangeFilterFunction(HttpClientCancellation settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        return Mono.deferContextual(context -> {
            CancellationToken token = context.<CancellationToken>getOrEmpty(TOKEN_KEY)
                    .orElseGet(Cancellation::boundTokenOrNull);
            OutboundCall call;
            try {
                call = settings.startWithoutAbort(token, request.method().name(), request.url());
            } catch (TaskCancelledException refused) {
                return Mono.error(refused);
            }
            if (call == null) {
                return next.exchange(request);
            }
            ClientRequest outgoing = withBudget(request, call);
            Mono<ClientResponse> exchange = next.exchange(outgoing);
            if (!settings.abortOnCancel()) {
                return exchange;
            }
            String target = request.method().name() + " " + request.url();
            return Mono.firstWithSignal(exchange, Mono.<ClientResponse>create(sink -> {
                Registration registration = token.onCancel(reason -> sink.error(cancelled(reason, target)));
                sink.onDispose(registration::close);
            })).map(response -> response.mutate().body(body -> guard(body, token, target)).build());
        });
    }

    private ClientRequest withBudget(ClientRequest request, OutboundCall call) {
        String header = settings.deadlineHeader();
        String value = settings.headerValue(call, request.headers().getFirst(header));
        if (value == null && call.budgetMillis() < 0) {
            return request;
        }
        ClientRequest.Builder builder = ClientRequest.from(request);
        if (value != null) {
            builder.headers(headers -> headers.set(header, value));
        }
        if (REACTOR_NETTY && call.budgetMillis() > 0) {
            builder.httpRequest(ReactorNettyTimeouts.responseTimeout(Duration.ofMillis(call.budgetMillis())));
        }
        return builder.build();
    }

    /** The body, ended with the cancellation as an error if the token is cancelled while it streams. */
    private static Flux<DataBuffer> guard(Flux<DataBuffer> body, CancellationToken token, String target) {
        AtomicBoolean completed = new AtomicBoolean();
        Mono<CancellationReason> cancelled = Mono.create(sink -> {
            Registration registration = token.onCancel(sink::success);
            sink.onDispose(registration::close);
        });
        return body.doOnComplete(() -> completed.set(true))
                .takeUntilOther(cancelled)
                .concatWith(Mono.defer(() -> {
                    CancellationReason reason = token.reason().orElse(null);
                    return (!completed.get() && reason != null) ? Mono.error(cancelled(reason, target)) : Mono.empty();
                }));
    }

    private static TaskCancelledException cancelled(CancellationReason reason, String target) {
        return TaskCancelledException.of(reason, target);
    }
}
