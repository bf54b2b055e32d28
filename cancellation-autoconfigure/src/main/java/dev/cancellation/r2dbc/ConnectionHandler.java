package dev.cancellation.r2dbc;

import io.r2dbc.spi.Batch;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Statement;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The proxy of an R2DBC {@link Connection}: its statements and batches are wrapped by a {@link StatementHandler};
 * while a cancel request for one of them is on its way to the server, every other operation that talks to the
 * server (statements' executions go through their own check) waits for it first, and closes the driver's
 * connection if it has not landed within the canceller's wait.
 *
 * <p>Thread-safety: as the wrapped connection (one operation at a time); the cancel in flight is held in an atomic
 * reference, set from whichever thread sends the cancel request.
 */
final class ConnectionHandler extends R2dbcProxy<Connection> {

    private final R2dbcStatementCanceller canceller;
    private final String factoryName;
    /** Completes when the cancel request in flight has landed (or failed); {@code null} when none is. */
    private final AtomicReference<@Nullable Mono<Void>> cancelInFlight = new AtomicReference<>();
    private volatile boolean invalidated;

    private ConnectionHandler(Connection delegate, R2dbcStatementCanceller canceller, String factoryName) {
        super(delegate);
        this.canceller = canceller;
        this.factoryName = factoryName;
    }

    static Connection proxy(Connection connection, R2dbcStatementCanceller canceller, String factoryName) {
        return create(Connection.class, connection, new ConnectionHandler(connection, canceller, factoryName));
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
        switch (method.getName()) {
            case "createStatement":
                return guard(Statement.class, call(method, args));
            case "createBatch":
                return guard(Batch.class, call(method, args));
            case "close":
                if (args == null || args.length == 0) {
                    return afterCancel(proxy, method, args, true);
                }
                break;
            default:
                break;
        }
        Object common = invokeCommon(proxy, method, args);
        if (common != UNHANDLED) {
            return common;
        }
        if (Publisher.class.isAssignableFrom(method.getReturnType())) {
            return afterCancel(proxy, method, args, false);
        }
        return call(method, args);
    }

    private @Nullable Object guard(Class<?> type, @Nullable Object statement) {
        if (statement == null || (Proxy.isProxyClass(statement.getClass())
                && Proxy.getInvocationHandler(statement) instanceof StatementHandler)) {
            return statement; // guarded by the connection this one wraps
        }
        return StatementHandler.proxy(type, statement, this);
    }

    /** Calls {@code method}, after the cancel in flight, if one is; errors of a closed connection end quietly. */
    private @Nullable Object afterCancel(Object proxy, Method method, @Nullable Object @Nullable [] args,
            boolean closing) throws Throwable {
        Mono<Void> pending = cancelInFlight.get();
        if (pending == null && !(closing && invalidated)) {
            return call(method, args);
        }
        Flux<Object> later = Flux.defer(() -> {
            try {
                @SuppressWarnings("unchecked")
                Publisher<Object> result = (Publisher<Object>) call(method, args);
                if (result == null) {
                    return Flux.empty();
                }
                return (closing && invalidated) ? Flux.from(result).onErrorResume(ex -> Mono.empty()) : result;
            } catch (Throwable ex) {
                return Flux.error(ex);
            }
        });
        Flux<Object> settled = (pending != null) ? settle(pending).thenMany(later) : later;
        // the proxy class declares the narrowest return type of its interfaces (a driver's Mono for SPI's Publisher)
        Class<?> declared = proxy.getClass().getMethod(method.getName(), method.getParameterTypes()).getReturnType();
        return Reactive.adapt(settled, declared);
    }

    /** Waits for the cancel in flight at most the canceller's wait, then closes the driver's connection. */
    Mono<Void> settle(Mono<Void> pending) {
        return pending.timeout(canceller.cancelWait())
                .onErrorResume(TimeoutException.class, timeout -> invalidate())
                .doFinally(signal -> cancelInFlight.compareAndSet(pending, null));
    }

    /** The cancel in flight, if one is: what a statement of this connection waits for before it executes. */
    @Nullable Mono<Void> cancelInFlight() {
        return cancelInFlight.get();
    }

    /**
     * Sends {@code request} (the driver's cancel request for the statement running on this connection) and
     * remembers it until it has landed.
     */
    void sendCancel(Mono<Void> request, StatementExecution execution) {
        Sinks.Empty<Void> landed = Sinks.empty();
        Mono<Void> pending = landed.asMono().cache();
        cancelInFlight.set(pending);
        canceller.sending();
        canceller.prepare(request).subscribe(null, failure -> {
            execution.cancelSent(failure);
            landed.tryEmitEmpty();
        }, () -> {
            execution.cancelSent(null);
            landed.tryEmitEmpty();
        });
    }

    private Mono<Void> invalidate() {
        if (invalidated) {
            return Mono.empty();
        }
        invalidated = true;
        Connection physical = ServerCancel.physical(delegate);
        return Mono.from(physical.close())
                .doOnSuccess(done -> canceller.connectionInvalidated(factoryName, null))
                .onErrorResume(ex -> {
                    canceller.connectionInvalidated(factoryName, ex);
                    return Mono.empty();
                });
    }

    R2dbcStatementCanceller canceller() {
        return canceller;
    }
}
