package dev.cancellation.jdbc;

import dev.cancellation.CancellationReason;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Makes JDBC statements follow the {@link dev.cancellation.CancellationToken#current() current token}: wraps
 * connections so that every statement executed while a live token is current
 * <ul>
 *   <li>is refused (a {@link dev.cancellation.TaskCancelledException}, nothing sent) if the token is cancelled
 *       already;</li>
 *   <li>gets a query timeout no longer than the token's remaining budget, in whole seconds rounded up (a shorter
 *       timeout set by the application is kept), restored after the execution;</li>
 *   <li>is cancelled on the server with {@link java.sql.Statement#cancel()} as soon as the token is cancelled, and
 *       then fails with a {@link dev.cancellation.TaskCancelledException} ({@code TaskTimeoutException} for a
 *       timeout) carrying the reason, the driver's {@link java.sql.SQLException} as its cause.</li>
 * </ul>
 * Statements executed with no current token are passed straight to the driver.
 *
 * <p>{@code cancel()} is called on a small pool of daemon threads owned by this canceller, never on the thread
 * that cancels the token (for deadlines, the shared timer): drivers open a connection or send a command to cancel.
 *
 * <p>Thread-safety: safe for use by any number of threads; each wrapped connection follows the JDBC rules of the
 * connection it wraps. {@link #close()} stops the cancel threads; cancels requested after it rely on the query
 * timeout alone.
 */
public final class StatementCanceller implements AutoCloseable {

    private static final Log logger = LogFactory.getLog(StatementCanceller.class);

    private final boolean applyQueryTimeout;
    private final Duration cancelWait;
    private final ThreadPoolExecutor executor;
    private final LongAdder cancels = new LongAdder();
    private final LongAdder open = new LongAdder();

    /**
     * A canceller.
     *
     * @param applyQueryTimeout whether statements get a query timeout from the token's remaining budget
     * @param cancelWait how long a statement's thread waits, when its call returns, for a {@code cancel()} in
     *     flight to be delivered (so that it cannot hit the connection's next statement)
     * @param cancelThreads the most threads that call {@code cancel()} at once
     * @throws IllegalArgumentException if {@code cancelWait} is negative or {@code cancelThreads} is below 1
     */
    public StatementCanceller(boolean applyQueryTimeout, Duration cancelWait, int cancelThreads) {
        Objects.requireNonNull(cancelWait, "cancelWait");
        if (cancelWait.isNegative()) {
            throw new IllegalArgumentException("cancelWait must not be negative, but was " + cancelWait);
        }
        if (cancelThreads < 1) {
            throw new IllegalArgumentException("cancelThreads must be at least 1, but was " + cancelThreads);
        }
        this.applyQueryTimeout = applyQueryTimeout;
        this.cancelWait = cancelWait;
        this.executor = new ThreadPoolExecutor(cancelThreads, cancelThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new CancelThreads());
        this.executor.allowCoreThreadTimeOut(true);
    }

    /** A canceller with query timeouts, a 5 s cancel wait and 4 cancel threads. */
    public StatementCanceller() {
        this(true, Duration.ofSeconds(5), 4);
    }

    /**
     * Wraps {@code connection}; returns it unchanged if this library wrapped it already (a data source that
     * delegates to another decorated one).
     */
    public Connection wrap(Connection connection) {
        if (connection == null || isWrapped(connection)) {
            return connection;
        }
        return ConnectionHandler.proxy(connection, this);
    }

    /** Whether {@code connection} is a connection wrapped by a {@code StatementCanceller}. */
    public static boolean isWrapped(Connection connection) {
        return Proxy.isProxyClass(connection.getClass())
                && Proxy.getInvocationHandler(connection) instanceof ConnectionHandler;
    }

    /** How many statements this canceller has cancelled on the server so far. */
    public long cancelledStatements() {
        return cancels.sum();
    }

    /**
     * How many statement executions are registered on tokens right now: executing, or with their result set still
     * open. Returns to zero when statements and result sets are closed, however many ran.
     */
    public long openExecutions() {
        return open.sum();
    }

    void opened() {
        open.increment();
    }

    void closed() {
        open.decrement();
    }

    boolean applyQueryTimeout() {
        return applyQueryTimeout;
    }

    Duration cancelWait() {
        return cancelWait;
    }

    Executor executor() {
        return executor;
    }

    /** A {@code cancel()} was sent; {@code failure} is what it threw, {@code null} if it succeeded. */
    void cancelled(CancellationReason reason, long afterNanos, @Nullable Exception failure) {
        long millis = TimeUnit.NANOSECONDS.toMillis(afterNanos);
        if (failure == null) {
            cancels.increment();
            if (logger.isInfoEnabled()) {
                logger.info("SQL statement cancelled on the server, " + millis + " ms after it started: "
                        + reason.describe());
            }
        } else {
            logger.warn("Statement.cancel() failed after " + millis + " ms (" + reason.describe()
                    + "); the query timeout still bounds the statement", failure);
        }
    }

    @Override
    public void close() {
        executor.shutdown();
    }

    private static final class CancelThreads implements ThreadFactory {

        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable task) {
            Thread thread = new Thread(task, "cancellation-jdbc-cancel-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        }
    }
}
