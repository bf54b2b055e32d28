package dev.cancellation.jdbc;

import dev.cancellation.CancellationToken;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The proxy of a {@link Statement}, {@link java.sql.PreparedStatement} or {@link java.sql.CallableStatement}.
 *
 * <p>Every {@code execute*} call ({@code execute}, {@code executeQuery}, {@code executeUpdate},
 * {@code executeLargeUpdate}, {@code executeBatch}, {@code executeLargeBatch}, with or without SQL) made while a
 * live token is current runs as a {@link StatementExecution}: refused if the token is cancelled, given a query
 * timeout from its budget, cancelled on the server when the token is cancelled. The execution stays registered on
 * the token while the result set of the call is open (so a streaming read is cancellable too) and is closed with
 * the result set, the statement, or the statement's next execution; an execution without a result set is closed
 * when the call returns. With no current token, calls go to the driver unchanged.
 *
 * <p>Thread-safety: as the wrapped statement (one thread at a time); only the token callback of the current
 * execution runs elsewhere.
 */
final class StatementHandler extends JdbcProxy<Statement> {

    private final Connection connection;
    private final StatementCanceller canceller;
    private Statement proxy;
    /** The execution whose result set may still be read, or {@code null}. */
    private StatementExecution open;

    private StatementHandler(Statement delegate, Connection connection, StatementCanceller canceller) {
        super(delegate);
        this.connection = connection;
        this.canceller = canceller;
    }

    static <S extends Statement> S proxy(Class<S> type, S statement, Connection connection,
            StatementCanceller canceller) {
        if (statement == null) {
            return null;
        }
        StatementHandler handler = new StatementHandler(statement, connection, canceller);
        S proxy = create(type, handler);
        handler.proxy = proxy;
        return proxy;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        if (name.startsWith("execute")) {
            return execute(method, args);
        }
        switch (name) {
            case "getResultSet":
                return wrap((ResultSet) call(method, args), open);
            case "getConnection":
                return connection;
            case "close":
                closeOpen();
                return call(method, args);
            default:
                Object common = invokeCommon(proxy, method, args);
                return (common != UNHANDLED) ? common : call(method, args);
        }
    }

    private Object execute(Method method, Object[] args) throws Throwable {
        if (open != null) {
            closeOpen(); // a new execution closes the previous result set (JDBC)
        }
        CancellationToken token = CancellationToken.current();
        if (token.isNone()) {
            return call(method, args);
        }
        StatementExecution execution = new StatementExecution(delegate, token, canceller).register();
        int restoreTimeout = -1;
        boolean keepOpen = false;
        try {
            if (canceller.applyQueryTimeout()) {
                restoreTimeout = applyTimeout(token);
            }
            Object result;
            execution.enter();
            try {
                result = method.invoke(delegate, args);
            } finally {
                execution.exit();
            }
            if (result instanceof ResultSet resultSet) {
                keepOpen = true;
                open = execution;
                return wrap(resultSet, execution);
            }
            if (Boolean.TRUE.equals(result) && method.getReturnType() == boolean.class) {
                keepOpen = true; // execute(): a result set to fetch with getResultSet()
                open = execution;
            }
            return result;
        } catch (InvocationTargetException ex) {
            Throwable failure = ex.getCause();
            if (failure instanceof SQLException sql) {
                RuntimeException cancelled = execution.translate(sql);
                if (cancelled != null) {
                    throw cancelled;
                }
            }
            throw failure;
        } finally {
            if (restoreTimeout >= 0) {
                restoreTimeout(restoreTimeout);
            }
            if (!keepOpen) {
                execution.close();
            }
        }
    }

    /** Sets the query timeout from the budget; returns the timeout to restore, or {@code -1} if unchanged. */
    private int applyTimeout(CancellationToken token) throws SQLException {
        Optional<Instant> deadline = token.deadline();
        if (deadline.isEmpty()) {
            return -1;
        }
        long millis = Duration.between(Instant.now(), deadline.get()).toMillis();
        // JDBC counts whole seconds, 0 meaning none: round up; a spent budget is left to the cancel (within ms)
        int seconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (millis + 999) / 1000));
        int current = delegate.getQueryTimeout();
        if (current != 0 && current <= seconds) {
            return -1; // the application's own timeout is shorter
        }
        delegate.setQueryTimeout(seconds);
        return current;
    }

    private void restoreTimeout(int seconds) {
        try {
            delegate.setQueryTimeout(seconds);
        } catch (SQLException ex) {
            // the statement failed or was closed meanwhile: nothing left to restore
        }
    }

    private ResultSet wrap(ResultSet resultSet, StatementExecution execution) {
        if (resultSet == null || execution == null) {
            return resultSet;
        }
        return ResultSetHandler.proxy(resultSet, proxy, execution, this);
    }

    /** Called by a result set of this statement when it is closed. */
    void resultSetClosed(StatementExecution execution) {
        if (open == execution) {
            closeOpen();
        }
    }

    private void closeOpen() {
        StatementExecution current = open;
        if (current != null) {
            open = null;
            current.close();
        }
    }
}
