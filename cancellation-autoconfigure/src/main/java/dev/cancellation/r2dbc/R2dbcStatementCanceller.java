package dev.cancellation.r2dbc;

import dev.cancellation.CancellationReason;
import io.r2dbc.spi.Connection;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Makes R2DBC statements follow the current token: the token in the Reactor context of the subscriber under
 * {@link #TOKEN_KEY} (where {@code @Cancellable} methods and the web edge put it), else the token bound to the
 * subscribing thread. It wraps connections so that every statement executed under a live token
 * <ul>
 *   <li>is refused (a {@link dev.cancellation.TaskCancelledException}, nothing sent) if the token is cancelled
 *       already;</li>
 *   <li>fails with a {@link dev.cancellation.TaskCancelledException} ({@code TaskTimeoutException} for a timeout)
 *       carrying the reason as soon as the token is cancelled, its subscription to the driver cancelled;</li>
 *   <li>is cancelled on the server when the token is cancelled or its subscription is disposed while it runs, where
 *       the driver has a way (PostgreSQL's cancel request; other drivers get the cancel of the subscription
 *       only).</li>
 * </ul>
 * Statements executed with no current token are passed straight to the driver.
 *
 * <p>No statement timeout is set from the budget: on PostgreSQL it is a {@code SET statement_timeout} round trip
 * per statement, and the token's deadline already sends the cancel request on time. A fixed
 * {@code statement_timeout} in the driver's connection options remains the backstop for a cancel that is lost.
 *
 * <p>A cancel request cancels whatever the session runs when it arrives. So while one is on its way, every
 * further operation on the connection (the next statement, a commit or rollback, the {@code close()} that gives it
 * back to its pool) first waits for it, at most {@code cancelWait}; if it is still not known to have landed then,
 * the driver's connection is closed (the pool discards it) and a warning names the connection factory: the
 * connection never runs another statement that the late cancel could hit.
 *
 * <p>Thread-safety: safe for use by any number of threads; each wrapped connection follows the R2DBC rules of the
 * connection it wraps.
 */
public final class R2dbcStatementCanceller {

    /**
     * Key of the token in a Reactor context: the key of the library's context-propagation accessor, under which
     * {@code @Cancellable} methods and the web edge put it.
     */
    public static final String TOKEN_KEY = "dev.cancellation.token";

    private static final Log logger = LogFactory.getLog(R2dbcStatementCanceller.class);

    private final Duration cancelWait;
    private final LongAdder cancels = new LongAdder();
    private final LongAdder invalidated = new LongAdder();
    /** Test hook: applied to every cancel request before it is sent (where a slow network delays it). */
    private volatile @Nullable UnaryOperator<Mono<Void>> cancelRequestHook;

    /**
     * A canceller.
     *
     * @param cancelWait how long an operation on a connection waits for a cancel request still on its way; past
     *     it, the connection is closed
     * @throws IllegalArgumentException if {@code cancelWait} is negative
     */
    public R2dbcStatementCanceller(Duration cancelWait) {
        Objects.requireNonNull(cancelWait, "cancelWait");
        if (cancelWait.isNegative()) {
            throw new IllegalArgumentException("cancelWait must not be negative, but was " + cancelWait);
        }
        this.cancelWait = cancelWait;
    }

    /** A canceller with a 5 s cancel wait. */
    public R2dbcStatementCanceller() {
        this(Duration.ofSeconds(5));
    }

    /**
     * Wraps {@code connection} of the connection factory named {@code factoryName} (the name the log gives when
     * the connection has to be closed); returns it unchanged if this library wrapped it already.
     */
    public Connection wrap(Connection connection, String factoryName) {
        if (isWrapped(connection)) {
            return connection;
        }
        return ConnectionHandler.proxy(connection, this, Objects.requireNonNull(factoryName, "factoryName"));
    }

    /** Whether {@code connection} is a connection wrapped by an {@code R2dbcStatementCanceller}. */
    public static boolean isWrapped(Connection connection) {
        return Proxy.isProxyClass(connection.getClass())
                && Proxy.getInvocationHandler(connection) instanceof ConnectionHandler;
    }

    /** How long an operation waits for a cancel request still on its way before its connection is closed. */
    public Duration cancelWait() {
        return cancelWait;
    }

    /** How many statements this canceller has sent a cancel request for so far, whether it succeeded. */
    public long cancelledStatements() {
        return cancels.sum();
    }

    /** How many connections were closed because a cancel request for them had not landed within the wait. */
    public long invalidatedConnections() {
        return invalidated.sum();
    }

    void cancelRequestHook(@Nullable UnaryOperator<Mono<Void>> hook) {
        this.cancelRequestHook = hook;
    }

    Mono<Void> prepare(Mono<Void> request) {
        UnaryOperator<Mono<Void>> hook = cancelRequestHook;
        return (hook != null) ? hook.apply(request) : request;
    }

    /** A cancel request is being sent. */
    void sending() {
        cancels.increment();
    }

    /** A cancel request was sent; {@code failure} is what it signalled, {@code null} if it succeeded. */
    void cancelled(@Nullable CancellationReason reason, long afterNanos, @Nullable Throwable failure) {
        long millis = TimeUnit.NANOSECONDS.toMillis(afterNanos);
        String why = (reason != null) ? reason.describe() : "its subscription was disposed";
        if (failure == null) {
            if (logger.isInfoEnabled()) {
                logger.info("R2DBC statement cancelled on the server, " + millis + " ms after it started: " + why);
            }
        } else {
            logger.warn("R2DBC cancel request failed after " + millis + " ms (" + why + ")", failure);
        }
    }

    /** The connection of {@code factory} was closed for a late cancel; {@code failure} if closing failed. */
    void connectionInvalidated(String factory, @Nullable Throwable failure) {
        long waited = cancelWait.toMillis();
        if (failure == null) {
            invalidated.increment();
            logger.warn("Connection of " + factory + " closed: a cancel request for its last statement was still on"
                    + " its way to the server after " + waited + " ms (cancellation.r2dbc.cancel-wait); the pool"
                    + " discards it so that the late cancel cannot hit another statement");
        } else {
            logger.error("Connection of " + factory + " could not be closed although a cancel request was still on"
                    + " its way to the server after " + waited + " ms; the late cancel may hit the next statement"
                    + " on it", failure);
        }
    }
}
