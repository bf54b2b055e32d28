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
 *   <li>with a deadline, the request carries the remaining whole milliseconds in the deadline header, computed
 *       when the request leaves (after any wait for a connection), and on Reactor Netty a longer response timeout
 *       is lowered to them (a shorter one the application set is kept);</li>
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

    /**
     * The request with the budget applied when it leaves: the header and the response timeout are set by the
     * request's {@code httpRequest} callback, which the connector runs once it has a connection (on Reactor Netty
     * after the wait for a pooled connection, the connect and the TLS handshake), so neither counts time that was
     * spent before the request was sent.
     */
    private ClientRequest withBudget(ClientRequest request, OutboundCall call) {
        String header = call.budgetHeader();
        if (header != null) {
            settings.headerValue(call, request.headers().getFirst(header)); // remembers a smaller value of the caller
        }
        boolean lowerTimeout = REACTOR_NETTY && call.budgetMillis() > 0;
        if (header == null && !lowerTimeout) {
            return request;
        }
        return ClientRequest.from(request).httpRequest(outgoing -> {
            call.throwIfCancelled(); // the budget ran out while waiting for a connection: send nothing
            String value = call.budgetHeaderValue();
            if (header != null && value != null) {
                outgoing.getHeaders().set(header, value);
            }
            if (header != null) {
                call.additionalBudgetHeaders(outgoing.getHeaders().getFirst(header))
                        .forEach(outgoing.getHeaders()::set);
            }
            if (lowerTimeout) {
                ReactorNettyTimeouts.lowerResponseTimeout(outgoing, Duration.ofMillis(call.remainingMillis()));
            }
        }).build();
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
