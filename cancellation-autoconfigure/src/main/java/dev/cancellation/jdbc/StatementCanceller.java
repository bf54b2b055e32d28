package dev.cancellation.jdbc;

import dev.cancellation.CancellationReason;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
 *       timeout set by the application is kept), restored when the statement is closed, where the
 *       {@link QueryTimeoutBackstop} says so (by default, every driver but H2 and
 *       PostgreSQL);</li>
 *   <li>is cancelled on the server with {@link java.sql.Statement#cancel()} as soon as the token is cancelled, and
 *       then fails with a {@link dev.cancellation.TaskCancelledException} ({@code TaskTimeoutException} for a
 *       timeout) carrying the reason, the driver's {@link java.sql.SQLException} as its cause.</li>
 * </ul>
 * Statements executed with no current token are passed straight to the driver.
 *
 * <p>{@code cancel()} is called on a small pool of daemon threads owned by this canceller, never on the thread
 * that cancels the token (for deadlines, the shared timer): drivers open a connection or send a command to cancel.
 * Their queue is bounded: a cancel that finds it full is not sent (nothing can then reach the server late), the
 * statement is bounded by its query timeout if it has one, and a warning says so. A queued cancel whose statement
 * returns before a thread takes it is withdrawn, so a mass cancel (shutdown) never delivers stale cancels.
 *
 * <p>A cancel request of PostgreSQL ({@code PGConnection.cancelQuery()}) or MySQL ({@code KILL QUERY}) cancels
 * whatever the server session runs when it arrives. So when a statement's call returns while its cancel has
 * started but not finished, the statement's thread waits at most {@code cancelWait}; if the cancel is still not
 * known to have landed then, the physical connection is {@linkplain Connection#abort(Executor) aborted} (the pool
 * discards it) and a warning names the data source: the connection never runs another statement.
 *
 * <p>Thread-safety: safe for use by any number of threads; each wrapped connection follows the JDBC rules of the
 * connection it wraps. {@link #close()} stops the cancel threads; cancels requested after it rely on the query
 * timeout alone.
 */
public final class StatementCanceller implements AutoCloseable {

    /** The cancel queue's default capacity: more than the connections of any sane set of pools. */
    public static final int DEFAULT_CANCEL_QUEUE_CAPACITY = 1024;

    private static final Log logger = LogFactory.getLog(StatementCanceller.class);
    /** Waits longer than this are cut here, so that deadlines in nanoseconds cannot overflow. */
    private static final long MAX_WAIT_NANOS = Long.MAX_VALUE / 4;
    private static final long REJECTION_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final QueryTimeoutBackstop queryTimeout;
    /** {@link QueryTimeoutBackstop#AUTO}'s answer per data source (one driver each), asked once. */
    private final Map<Object, Boolean> backstopByDataSource = new ConcurrentHashMap<>();
    private final long cancelWaitNanos;
    private final ThreadPoolExecutor executor;
    private final LongAdder cancels = new LongAdder();
    private final LongAdder cancelsFinished = new LongAdder();
    private final LongAdder aborted = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final LongAdder open = new LongAdder();
    private final AtomicLong lastRejectionLog = new AtomicLong(System.nanoTime() - REJECTION_LOG_INTERVAL_NANOS);
    /**
     * Test hook: runs on the cancel thread once a cancel has started and resolved its target, just before the
     * request is sent (where a slow network or a busy server delays it).
     */
    private volatile @Nullable Runnable beforeDriverCancel;

    /**
     * A canceller.
     *
     * @param queryTimeout whether statements get a query timeout from the token's remaining budget (the backstop
     *     for a cancel that does not land)
     * @param cancelWait how long a statement's thread waits, when its call returns, for a {@code cancel()} in
     *     flight to be delivered; past it, the connection is aborted
     * @param cancelThreads the most threads that call {@code cancel()} at once
     * @param cancelQueueCapacity the most cancels waiting for a thread
     * @throws IllegalArgumentException if {@code cancelWait} is negative, or {@code cancelThreads} or
     *     {@code cancelQueueCapacity} is below 1
     */
    public StatementCanceller(QueryTimeoutBackstop queryTimeout, Duration cancelWait, int cancelThreads,
            int cancelQueueCapacity) {
        Objects.requireNonNull(queryTimeout, "queryTimeout");
        Objects.requireNonNull(cancelWait, "cancelWait");
        if (cancelWait.isNegative()) {
            throw new IllegalArgumentException("cancelWait must not be negative, but was " + cancelWait);
        }
        if (cancelThreads < 1) {
            throw new IllegalArgumentException("cancelThreads must be at least 1, but was " + cancelThreads);
        }
        if (cancelQueueCapacity < 1) {
            throw new IllegalArgumentException(
                    "cancelQueueCapacity must be at least 1, but was " + cancelQueueCapacity);
        }
        this.queryTimeout = queryTimeout;
        this.cancelWaitNanos = (cancelWait.getSeconds() >= MAX_WAIT_NANOS / 1_000_000_000L) ? MAX_WAIT_NANOS
                : cancelWait.toNanos();
        this.executor = new ThreadPoolExecutor(cancelThreads, cancelThreads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(cancelQueueCapacity), new CancelThreads());
        this.executor.allowCoreThreadTimeOut(true);
    }

    /**
     * A canceller whose query timeout is {@link QueryTimeoutBackstop#ON} or {@link QueryTimeoutBackstop#OFF}.
     *
     * @see #StatementCanceller(QueryTimeoutBackstop, Duration, int, int)
     */
    public StatementCanceller(boolean applyQueryTimeout, Duration cancelWait, int cancelThreads,
            int cancelQueueCapacity) {
        this(applyQueryTimeout ? QueryTimeoutBackstop.ON : QueryTimeoutBackstop.OFF, cancelWait, cancelThreads,
                cancelQueueCapacity);
    }

    /** A canceller with a cancel queue of {@link #DEFAULT_CANCEL_QUEUE_CAPACITY}. */
    public StatementCanceller(boolean applyQueryTimeout, Duration cancelWait, int cancelThreads) {
        this(applyQueryTimeout, cancelWait, cancelThreads, DEFAULT_CANCEL_QUEUE_CAPACITY);
    }

    /** A canceller with a cancel queue of {@link #DEFAULT_CANCEL_QUEUE_CAPACITY}. */
    public StatementCanceller(QueryTimeoutBackstop queryTimeout, Duration cancelWait, int cancelThreads) {
        this(queryTimeout, cancelWait, cancelThreads, DEFAULT_CANCEL_QUEUE_CAPACITY);
    }

    /**
     * A canceller with the query timeout {@link QueryTimeoutBackstop#AUTO} (the starter's default), a 5 s cancel
     * wait and 4 cancel threads.
     */
    public StatementCanceller() {
        this(QueryTimeoutBackstop.AUTO, Duration.ofSeconds(5), 4);
    }

    /**
     * Wraps {@code connection}; returns it unchanged if this library wrapped it already (a data source that
     * delegates to another decorated one).
     */
    public Connection wrap(Connection connection) {
        return wrap(connection, "a DataSource");
    }

    /**
     * Wraps {@code connection} of the data source named {@code dataSourceName} (the name the log gives when the
     * connection has to be aborted); returns it unchanged if this library wrapped it already.
     */
    public Connection wrap(Connection connection, String dataSourceName) {
        return wrap(connection, dataSourceName, null);
    }

    /**
     * Wraps {@code connection} of {@code dataSource} (the key under which {@link QueryTimeoutBackstop#AUTO} keeps
     * its answer, so that it asks the driver once per data source rather than once per connection).
     */
    Connection wrap(Connection connection, String dataSourceName, @Nullable Object dataSource) {
        if (connection == null || isWrapped(connection)) {
            return connection;
        }
        return new CancellableConnection(connection, this,
                Objects.requireNonNull(dataSourceName, "dataSourceName"), dataSource);
    }

    /** Whether {@code connection} is a connection wrapped by a {@code StatementCanceller}. */
    public static boolean isWrapped(Connection connection) {
        return connection instanceof CancellableConnection;
    }

    /** Whether statements get a query timeout from the budget, as configured. */
    public QueryTimeoutBackstop queryTimeout() {
        return queryTimeout;
    }

    /** How many statements this canceller has cancelled on the server so far. */
    public long cancelledStatements() {
        return cancels.sum();
    }

    /**
     * How many connections this canceller has aborted because their statement's cancel had not landed when the
     * statement returned, within the cancel wait.
     */
    public long abortedConnections() {
        return aborted.sum();
    }

    /** How many cancels were not sent because the cancel queue was full (or the canceller closed). */
    public long rejectedCancels() {
        return rejected.sum();
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

    /**
     * Whether statements of {@code connection} (of {@code dataSource}, if known) get the query timeout backstop.
     * Called once per wrapped connection, on its first execution under a token; under {@code AUTO} the driver is
     * asked once per data source (a benign race may ask twice), outside any lock.
     */
    boolean queryTimeoutBackstop(Connection connection, @Nullable Object dataSource) {
        return switch (queryTimeout) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> {
                if (dataSource == null) {
                    yield QueryTimeoutBackstop.autoAppliesTo(connection);
                }
                Boolean known = backstopByDataSource.get(dataSource);
                if (known == null) {
                    known = QueryTimeoutBackstop.autoAppliesTo(connection);
                    backstopByDataSource.putIfAbsent(dataSource, known);
                }
                yield known;
            }
        };
    }

    long cancelWaitNanos() {
        return cancelWaitNanos;
    }

    /** Cancels sent, whether the driver succeeded or failed. */
    long cancelsFinished() {
        return cancelsFinished.sum();
    }

    /** Runs {@code hook} on the cancel thread of every cancel once it has started, before the driver call. */
    void beforeDriverCancel(@Nullable Runnable hook) {
        this.beforeDriverCancel = hook;
    }

    void runBeforeDriverCancel() {
        Runnable hook = beforeDriverCancel;
        if (hook != null) {
            hook.run();
        }
    }

    /**
     * Queues {@code cancel} for a cancel thread; returns {@code false}, sending nothing, when the queue is full or
     * the canceller is closed.
     */
    boolean submit(Runnable cancel, CancellationReason reason) {
        try {
            executor.execute(cancel);
            return true;
        } catch (RejectedExecutionException ex) {
            rejected.increment();
            long now = System.nanoTime();
            long last = lastRejectionLog.get();
            if (now - last >= REJECTION_LOG_INTERVAL_NANOS && lastRejectionLog.compareAndSet(last, now)) {
                logger.warn("SQL statement not cancelled on the server (" + reason.describe() + "): the cancel "
                        + "queue is full" + (executor.isShutdown() ? " or closed" : "") + ", " + rejected.sum()
                        + " cancels not sent so far; its query timeout, if it has one"
                        + " (cancellation.jdbc.query-timeout), still bounds the statement");
            }
            return false;
        }
    }

    /** A {@code cancel()} was sent; {@code failure} is what it threw, {@code null} if it succeeded. */
    void cancelled(CancellationReason reason, long afterNanos, @Nullable Exception failure) {
        long millis = TimeUnit.NANOSECONDS.toMillis(afterNanos);
        cancelsFinished.increment();
        if (failure == null) {
            cancels.increment();
            if (logger.isInfoEnabled()) {
                logger.info("SQL statement cancelled on the server, " + millis + " ms after it started: "
                        + reason.describe());
            }
        } else {
            logger.warn("Statement.cancel() failed after " + millis + " ms (" + reason.describe()
                    + "); its query timeout, if it has one (cancellation.jdbc.query-timeout), still bounds the"
                    + " statement", failure);
        }
    }

    /** A cancel failed on a connection aborted for it meanwhile: expected, it reached nobody's statement. */
    void cancelledAfterAbort(CancellationReason reason, long afterNanos) {
        cancelsFinished.increment();
        if (logger.isInfoEnabled()) {
            logger.info("Late SQL cancel (" + reason.describe() + ") ended " + TimeUnit.NANOSECONDS.toMillis(afterNanos)
                    + " ms after its statement started, on a connection aborted for it: it reached no statement");
        }
    }

    /** The connection of {@code dataSource} was aborted; {@code failure} is what {@code abort} threw, if it did. */
    void connectionAborted(String dataSource, CancellationReason reason, @Nullable Exception failure) {
        long waited = TimeUnit.NANOSECONDS.toMillis(cancelWaitNanos);
        if (failure == null) {
            aborted.increment();
            logger.warn("Connection of " + dataSource + " aborted: its statement returned while a cancel ("
                    + reason.describe() + ") was still on its way to the server after " + waited
                    + " ms (cancellation.jdbc.cancel-wait); the pool discards it so that the late cancel cannot "
                    + "hit another statement");
        } else {
            logger.error("Connection of " + dataSource + " could not be aborted although a cancel ("
                    + reason.describe() + ") was still on its way to the server after " + waited
                    + " ms; the late cancel may hit the next statement on it", failure);
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
