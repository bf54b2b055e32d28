package dev.cancellation.jdbc;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.InvocationTargetException;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One execution of a statement under a live token: the callback on the token, and the state that decides whether
 * a cancellation calls {@link Statement#cancel()}.
 *
 * <p>The driver is cancelled only while a call that may wait for the server is in progress ({@link #enter()} to
 * {@link #exit()}): a cancel that arrives between calls sends nothing, and the next call is refused instead. When
 * a cancel is in flight as the call returns, {@link #exit()} waits (bounded by the configured wait) until
 * {@code cancel()} has returned, so the next statement on the connection can never be hit by a late cancel request.
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

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(StatementExecution.class, "state", int.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Statement statement;
    private final CancellationToken token;
    private final StatementCanceller canceller;
    private final long startNanos = System.nanoTime();
    private volatile int state = IDLE;
    /** Set when this execution sent {@code cancel()} to the driver: a failure after that is the cancellation's. */
    private volatile boolean cancelSent;
    private volatile boolean cancelDone;
    private volatile @Nullable Thread waiter;
    /** Whether the call in progress is a result-set move (a fetch), not the execution itself. */
    private volatile boolean fetching;
    private @Nullable Registration registration;

    StatementExecution(Statement statement, CancellationToken token, StatementCanceller canceller) {
        this.statement = statement;
        this.token = token;
        this.canceller = canceller;
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
            awaitCancelDone();
            STATE.compareAndSet(this, CANCELLING, IDLE);
        }
    }

    /** Deregisters the callback; the token then holds nothing for this execution. Idempotent. */
    void close() {
        int previous = (int) STATE.getAndSet(this, CLOSED);
        if (previous == CANCELLING) {
            awaitCancelDone();
        }
        Registration current = registration;
        if (current != null) {
            registration = null;
            current.close();
            canceller.closed();
        }
    }

    /**
     * What to throw for a driver call of this execution that failed with {@code ex}: the task's cancellation, with
     * the driver's {@code SQLException} as its cause, when the failure is the cancel or the budget's query timeout;
     * else the driver's own failure.
     */
    Throwable failureOf(InvocationTargetException ex) {
        Throwable failure = ex.getCause();
        CancellationReason reason = token.reason().orElse(null);
        if (failure instanceof SQLException sql && reason != null
                && (cancelSent || sql instanceof SQLTimeoutException)) {
            TaskCancelledException cancelled = TaskCancelledException.of(reason, "SQL statement");
            cancelled.initCause(sql);
            return cancelled;
        }
        return failure;
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
        if (!STATE.compareAndSet(this, IN_CALL, CANCELLING)) {
            return; // between calls: the next call is refused
        }
        try {
            canceller.executor().execute(() -> cancelNow(reason));
        } catch (RejectedExecutionException ex) {
            cancelDone = true; // shutting down: the query timeout is the remaining bound
        }
    }

    private void cancelNow(CancellationReason reason) {
        try {
            cancelSent = true;
            statement.cancel();
            if (fetching) {
                ServerCancel.cancelFetch(statement);
            }
            canceller.cancelled(reason, System.nanoTime() - startNanos, null);
        } catch (SQLException | RuntimeException ex) {
            canceller.cancelled(reason, System.nanoTime() - startNanos, ex);
        } finally {
            cancelDone = true;
            Thread thread = waiter;
            if (thread != null) {
                LockSupport.unpark(thread);
            }
        }
    }

    private void awaitCancelDone() {
        if (cancelDone) {
            return;
        }
        waiter = Thread.currentThread();
        long deadline = System.nanoTime() + canceller.cancelWait().toNanos();
        while (!cancelDone) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return; // the driver hangs in cancel(): do not hold the caller hostage
            }
            LockSupport.parkNanos(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }
}
