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
import org.jspecify.annotations.Nullable;

/**
 * The proxy of a {@link Statement}, {@link java.sql.PreparedStatement} or {@link java.sql.CallableStatement}.
 *
 * <p>Every {@code execute*} call ({@code execute}, {@code executeQuery}, {@code executeUpdate},
 * {@code executeLargeUpdate}, {@code executeBatch}, {@code executeLargeBatch}, with or without SQL) made while a
 * live token is current runs as a {@link StatementExecution}: refused if the token is cancelled, given a query
 * timeout from its budget (where the {@link QueryTimeoutBackstop} says so), cancelled on the server when the token
 * is cancelled. The execution stays registered on the token while the result set of the call is open (so a
 * streaming read is cancellable too) and is closed with the result set, the statement, or the statement's next
 * execution; an execution without a result set is closed when the call returns. With no current token, calls go
 * to the driver unchanged.
 *
 * <p>Thread-safety: as the wrapped statement (one thread at a time); only the token callback of the current
 * execution runs elsewhere.
 */
final class StatementHandler extends JdbcProxy<Statement> {

    /**
     * Budgets of this many seconds or more set no query timeout: drivers count it in {@code int} milliseconds
     * (MySQL, H2), and a deadline some 24 days away bounds nothing in practice.
     */
    static final long MAX_TIMEOUT_SECONDS = Integer.MAX_VALUE / 1000;

    private final Connection connection;
    private final ConnectionHandler owner;
    /** The execution whose result set may still be read. */
    private @Nullable StatementExecution open;
    /**
     * The application's query timeout while the driver holds one set from a budget, else {@code -1}. Restored at
     * the next execution without a budget and when the statement is closed (driver statement caches hand closed
     * statements out again), not after every execution: {@code setQueryTimeout} is a command on some drivers
     * (H2).
     */
    private int ownTimeout = -1;
    /** The timeout this proxy last set on the driver, meaningful while {@link #ownTimeout} is not -1. */
    private int budgetTimeout;

    private StatementHandler(Statement delegate, Connection connection, ConnectionHandler owner) {
        super(delegate);
        this.connection = connection;
        this.owner = owner;
    }

    /**
     * The proxy of {@code statement}, whose {@code getConnection()} answers {@code connection}, the proxy of
     * {@code owner}.
     */
    static <S extends Statement> @Nullable S proxy(Class<S> type, @Nullable S statement, Connection connection,
            ConnectionHandler owner) {
        if (statement == null) {
            return null;
        }
        return create(type, new StatementHandler(statement, connection, owner));
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
        String name = method.getName();
        if (name.startsWith("execute")) {
            return execute((Statement) proxy, method, args);
        }
        switch (name) {
            case "setQueryTimeout":
                ownTimeout = -1; // the application's value is the driver's again
                return call(method, args);
            case "getQueryTimeout":
                return (ownTimeout >= 0) ? ownTimeout : call(method, args);
            case "getResultSet":
                return wrap((ResultSet) call(method, args), (Statement) proxy, open);
            case "getConnection":
                return connection;
            case "close":
                return close(method, args);
            default:
                Object common = invokeCommon(proxy, method, args);
                return (common != UNHANDLED) ? common : call(method, args);
        }
    }

    private @Nullable Object execute(Statement proxy, Method method, @Nullable Object @Nullable [] args)
            throws Throwable {
        if (open != null) {
            closeOpen(); // a new execution closes the previous result set (JDBC)
        }
        CancellationToken token = CancellationToken.current();
        if (token.isNone()) {
            if (ownTimeout >= 0) {
                restoreTimeout();
            }
            return call(method, args);
        }
        StatementExecution execution = new StatementExecution(delegate, token, owner).register();
        boolean keepOpen = false;
        try {
            if (owner.queryTimeoutBackstop()) {
                applyTimeout(token);
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
                return wrap(resultSet, proxy, execution);
            }
            if (Boolean.TRUE.equals(result) && method.getReturnType() == boolean.class) {
                keepOpen = true; // execute(): a result set to fetch with getResultSet()
                open = execution;
            }
            return result;
        } catch (InvocationTargetException ex) {
            throw execution.failureOf(ex);
        } finally {
            if (!keepOpen) {
                execution.close();
            }
        }
    }

    /** Sets the query timeout from the budget, unless the application's own is shorter. */
    private void applyTimeout(CancellationToken token) throws SQLException {
        Optional<Instant> deadline = token.deadline();
        if (deadline.isEmpty()) {
            if (ownTimeout >= 0) {
                restoreTimeout();
            }
            return;
        }
        Duration left = Duration.between(Instant.now(), deadline.get());
        if (left.getSeconds() >= MAX_TIMEOUT_SECONDS) {
            // a far deadline (Instant.MAX, a saturated timeout) bounds nothing a driver can count
            if (ownTimeout >= 0) {
                restoreTimeout();
            }
            return;
        }
        // JDBC counts whole seconds, 0 meaning none: round up; a spent budget is left to the cancel (within ms)
        int budget = (int) Math.max(1, (left.toMillis() + 999) / 1000);
        int own = (ownTimeout >= 0) ? ownTimeout : delegate.getQueryTimeout();
        int wanted = (own != 0 && own <= budget) ? own : budget;
        int current = (ownTimeout >= 0) ? budgetTimeout : own;
        if (wanted != current) {
            delegate.setQueryTimeout(wanted);
        }
        if (wanted == own) {
            ownTimeout = -1;
        } else {
            ownTimeout = own;
            budgetTimeout = wanted;
        }
    }

    /**
     * Closes the statement, first giving the driver back the application's timeout (driver statement caches, as
     * MySQL's and Oracle's, hand the statement out again). The statement is closed even if that fails.
     */
    private @Nullable Object close(Method method, @Nullable Object @Nullable [] args) throws Throwable {
        Throwable failure = null;
        try {
            closeOpen();
            if (ownTimeout >= 0 && !delegate.isClosed()) {
                restoreTimeout();
            }
        } catch (SQLException | RuntimeException ex) {
            failure = ex;
        }
        try {
            call(method, args);
        } catch (Throwable ex) {
            if (failure != null) {
                ex.addSuppressed(failure);
            }
            throw ex;
        }
        if (failure != null) {
            throw failure; // closed, but the driver may keep the budget's timeout for a cached statement
        }
        return null;
    }

    private void restoreTimeout() throws SQLException {
        int own = ownTimeout;
        ownTimeout = -1;
        delegate.setQueryTimeout(own);
    }

    /** The result set of {@code execution}, wrapped so that it is read under its token. */
    private @Nullable ResultSet wrap(@Nullable ResultSet resultSet, Statement proxy,
            @Nullable StatementExecution execution) {
        if (resultSet == null || execution == null) {
            return resultSet;
        }
        return ResultSetHandler.proxy(resultSet, proxy, execution, () -> resultSetClosed(execution));
    }

    /** A result set of this statement was closed. */
    private void resultSetClosed(StatementExecution execution) {
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
