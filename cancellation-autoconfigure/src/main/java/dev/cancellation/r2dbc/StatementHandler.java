package dev.cancellation.r2dbc;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import io.r2dbc.spi.Result;
import java.lang.reflect.Method;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * The proxy of an R2DBC {@link io.r2dbc.spi.Statement} or {@link io.r2dbc.spi.Batch}.
 *
 * <p>{@code execute()} is called on the driver at once (so that the driver's own checks, such as unbound
 * parameters, fail as they would); its results are subscribed to under the token of the subscriber's Reactor
 * context (else the token bound to the subscribing thread), as a {@link StatementExecution}: refused if the token
 * is cancelled, failed and cancelled on the server when it is cancelled or disposed while running, its
 * {@link Result}s wrapped so that reading them is part of the execution. With no current token, the driver's
 * results are passed on unchanged. The builder methods ({@code bind}, {@code add}, ...) answer the proxy.
 *
 * <p>Thread-safety: as the wrapped statement (one thread at a time).
 */
final class StatementHandler extends R2dbcProxy<Object> {

    private final ConnectionHandler connection;

    private StatementHandler(Object delegate, ConnectionHandler connection) {
        super(delegate);
        this.connection = connection;
    }

    static Object proxy(Class<?> type, Object statement, ConnectionHandler connection) {
        return create(type, statement, new StatementHandler(statement, connection));
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
        if (method.getName().equals("execute") && (args == null || args.length == 0)) {
            Publisher<?> results = (Publisher<?>) call(method, args);
            return (results != null) ? Reactive.like(results, execute(results), method.getReturnType()) : null;
        }
        Object common = invokeCommon(proxy, method, args);
        if (common != UNHANDLED) {
            return common;
        }
        Object result = call(method, args);
        return (result == delegate) ? proxy : result; // builder methods answer the statement itself
    }

    private Flux<Object> execute(Publisher<?> results) {
        Flux<Object> guarded = Flux.deferContextual(context -> {
            CancellationToken token = tokenOf(context);
            if (token == null || token.isNone()) {
                return Flux.<Object>from(results);
            }
            CancellationReason reason = token.reason().orElse(null);
            if (reason != null) {
                return Flux.error(TaskCancelledException.of(reason, "SQL statement refused"));
            }
            StatementExecution execution = new StatementExecution(token, connection);
            return execution.guard(results, false)
                    .map(result -> (result instanceof Result r) ? ResultHandler.proxy(r, execution) : result);
        });
        // a cancel request still on its way would cancel this statement: wait for it (or lose the connection)
        return Flux.defer(() -> {
            Mono<Void> pending = connection.cancelInFlight();
            return (pending != null) ? connection.settle(pending).thenMany(guarded) : guarded;
        });
    }

    private static @Nullable CancellationToken tokenOf(ContextView context) {
        return context.<CancellationToken>getOrEmpty(R2dbcStatementCanceller.TOKEN_KEY)
                .orElseGet(Cancellation::boundTokenOrNull);
    }
}
