package dev.cancellation.jdbc;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One execution of a statement under a live token: the callback on the token, and the state that decides whether
 * a cancellation calls {@link Statement#cancel()}.
 *
 * <p>The driver is cancelled only while a call that may wait for the server is in progress ({@link #enter()} to
 * {@link #exit()}): a cancel that arrives between calls sends nothing, and the next call is refused instead. When
 * the call returns with the cancel still queued, the cancel is withdrawn (it never reaches the driver). When the
 * cancel has started, {@link #exit()} waits (bounded by the configured wait) until {@code cancel()} has returned;
 * if it has not by then, the connection is aborted, so the next statement on the connection can never be hit by
 * a late cancel request.
 *
 * <p>Thread-safety: {@link #enter()}, {@link #exit()} and {@link #close()} are called by the thread that uses the
 * statement (JDBC statements are not shared between threads); the token callback runs on the cancelling thread and
 * only hands {@code cancel()} to the canceller's executor. States change by CAS, without locks.
 */
final class StatementExecution implements Consumer<CancellationReason> {

    private static final int IDLE = 0;
    private static final int IN_CALL = 1;
    private static final int CANCELLING = 2;
    private static final int CLOSED = 3;

    /** The cancel: none, waiting in the queue, in the driver, returned from it, withdrawn or never queued. */
    private static final int CANCEL_NONE = 0;
    private static final int CANCEL_QUEUED = 1;
    private static final int CANCEL_RUNNING = 2;
    private static final int CANCEL_DONE = 3;
    private static final int CANCEL_WITHDRAWN = 4;

    /** SQLSTATE of a statement cancelled on the server, by a cancel request or a statement timeout. */
    private static final String QUERY_CANCELED = "57014";
    /** The longest a failed call waits for the token's timer once the deadline has passed. */
    private static final long OVERDUE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final VarHandle STATE;
    private static final VarHandle CANCEL;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(StatementExecution.class, "state", int.class);
            CANCEL = lookup.findVarHandle(StatementExecution.class, "cancel", int.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Statement statement;
    private final CancellationToken token;
    private final CancellableConnection connection;
    private final StatementCanceller canceller;
    private final long startNanos = System.nanoTime();
    private volatile int state = IDLE;
    /**
     * Set when the token was cancelled during a call: a failure of that call is the cancellation's, whether the
     * cancel was sent or withdrawn (the query timeout from the budget ended the call first).
     */
    private volatile boolean cancelRequested;
    private volatile int cancel = CANCEL_NONE;
    private volatile @Nullable CancellationReason cancelReason;
    private volatile @Nullable Thread waiter;
    /** Whether the call in progress is a result-set move (a fetch), not the execution itself. */
    private volatile boolean fetching;
    private @Nullable Registration registration;

    StatementExecution(Statement statement, CancellationToken token, CancellableConnection connection) {
        this.statement = statement;
        this.token = token;
        this.connection = connection;
        this.canceller = connection.canceller();
    }

    /** Registers the callback; throws (refusing the statement) if the token is cancelled already. */
    StatementExecution register() {
        refuseIfCancelled();
        registration = token.onCancel(this);
        canceller.opened();
        return this;
    }

    CancellationToken token() {
        return token;
    }

    /** Marks the execution call; refuses it if the token is cancelled. */
    void enter() {
        enter(false);
    }

    /** Marks a result-set move that may fetch from the server; refuses it if the token is cancelled. */
    void enterFetch() {
        enter(true);
    }

    private void enter(boolean fetch) {
        fetching = fetch;
        state = IN_CALL; // volatile write, then volatile read of the token: a cancel is never missed
        if (token.isCancelled()) {
            exit();
            refuseIfCancelled();
        }
    }

    /** Ends the call; waits for a cancel in flight to be delivered first. */
    void exit() {
        if (STATE.compareAndSet(this, IN_CALL, IDLE)) {
            return;
        }
        if (state == CANCELLING) {
            settleCancel();
            STATE.compareAndSet(this, CANCELLING, IDLE);
        }
    }

    /** Deregisters the callback; the token then holds nothing for this execution. Idempotent. */
    void close() {
        int previous = (int) STATE.getAndSet(this, CLOSED);
        if (previous == CANCELLING) {
            settleCancel();
        }
        Registration current = registration;
        if (current != null) {
            registration = null;
            current.close();
            canceller.closed();
        }
    }

    /**
     * What to throw for a driver call of this execution that failed with {@code failure}: when the failure is the
     * cancel or the budget's query timeout, throws the task's cancellation, with the driver's exception as its
     * cause; else returns {@code failure}, for the caller to throw ({@code throw execution.failureOf(ex)}).
     */
    SQLException failureOf(SQLException failure) {
        CancellationReason reason = token.reason().orElse(null);
        boolean queryCancel = isQueryCancel(failure);
        if (reason == null && queryCancel) {
            reason = awaitOverdueDeadline();
        }
        if (reason != null && (cancelRequested || queryCancel)) {
            TaskCancelledException cancelled = TaskCancelledException.of(reason, "SQL statement");
            cancelled.initCause(failure);
            throw cancelled;
        }
        return failure;
    }

    /**
     * Whether the driver says the statement was cancelled or timed out: {@link SQLTimeoutException}, or SQLSTATE
     * {@code 57014} ("query canceled": PostgreSQL, H2, Db2).
     */
    private static boolean isQueryCancel(SQLException failure) {
        return failure instanceof SQLTimeoutException || QUERY_CANCELED.equals(failure.getSQLState());
    }

    /**
     * The reason of a token whose deadline has passed but which is not cancelled yet: the driver's query timeout
     * from the budget (rounded up to whole seconds, so never before the deadline) can end the call a few
     * milliseconds before the token's timer fires on a busy machine. Waits for the timer, at most
     * {@link #OVERDUE_WAIT_NANOS}, so that the caller sees the deadline's cancellation either way; {@code null} when
     * the deadline has not passed (the application's own timeout, or another cancel) or the token stays live.
     */
    private @Nullable CancellationReason awaitOverdueDeadline() {
        Instant deadline = token.deadline().orElse(null);
        if (deadline == null || Instant.now().isBefore(deadline)) {
            return null;
        }
        try {
            return token.whenCancelled().toCompletableFuture().get(OVERDUE_WAIT_NANOS, TimeUnit.NANOSECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return token.reason().orElse(null);
        } catch (ExecutionException | TimeoutException ex) {
            return token.reason().orElse(null);
        }
    }

    private void refuseIfCancelled() {
        CancellationReason reason = token.reason().orElse(null);
        if (reason != null) {
            throw TaskCancelledException.of(reason, "SQL statement refused");
        }
    }

    /** Token callback, on the cancelling thread (the shared timer for deadlines): never blocks. */
    @Override
    public void accept(CancellationReason reason) {
        cancelReason = reason;
        cancelRequested = true; // before the state: whoever sees CANCELLING sees these
        cancel = CANCEL_QUEUED;
        if (!STATE.compareAndSet(this, IN_CALL, CANCELLING)) {
            cancel = CANCEL_NONE;
            cancelRequested = false;
            return; // between calls: the next call is refused
        }
        if (!canceller.submit(() -> cancelNow(reason), reason)) {
            cancel = CANCEL_WITHDRAWN; // queue full or closed: nothing sent, the query timeout still bounds it
        }
    }

    private void cancelNow(CancellationReason reason) {
        if (!CANCEL.compareAndSet(this, CANCEL_QUEUED, CANCEL_RUNNING)) {
            return; // withdrawn: the call returned before a cancel thread took it
        }
        try {
            ServerCancel.FetchCancel fetch = fetching ? ServerCancel.fetchCancel(statement) : null;
            canceller.runBeforeDriverCancel();
            statement.cancel();
            if (fetch != null) {
                fetch.send();
            }
            if (connection.isAborted()) {
                canceller.cancelledAfterAbort(reason, System.nanoTime() - startNanos);
            } else {
                canceller.cancelled(reason, System.nanoTime() - startNanos, null);
            }
        } catch (SQLException | RuntimeException ex) {
            if (connection.isAborted()) {
                canceller.cancelledAfterAbort(reason, System.nanoTime() - startNanos);
            } else {
                canceller.cancelled(reason, System.nanoTime() - startNanos, ex);
            }
        } finally {
            cancel = CANCEL_DONE;
            Thread thread = waiter;
            if (thread != null) {
                LockSupport.unpark(thread);
            }
        }
    }

    /**
     * On the statement's thread, its call returned while it was being cancelled: withdraws a cancel that has not
     * started, waits for one that has, and aborts the connection if it is still not done after the cancel wait.
     */
    private void settleCancel() {
        if (CANCEL.compareAndSet(this, CANCEL_QUEUED, CANCEL_WITHDRAWN) || cancel != CANCEL_RUNNING) {
            return;
        }
        waiter = Thread.currentThread();
        long deadline = System.nanoTime() + canceller.cancelWaitNanos();
        while (cancel == CANCEL_RUNNING) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                // the cancel may still land, on whatever the session runs next: that must be nobody's statement
                CancellationReason reason = cancelReason;
                connection.abortForLateCancel((reason != null) ? reason : token.reason().orElseThrow());
                return;
            }
            LockSupport.parkNanos(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }
}
