package dev.cancellation.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The wrapper of a {@link ResultSet} read under a live token. The cursor moves ({@code next}, {@code previous},
 * {@code first}, {@code last}, {@code absolute}, {@code relative}) are calls of the statement's execution: refused
 * once the token is cancelled, and cancelled on the server while they wait for it (the driver fetching the next
 * rows of a {@code fetchSize} cursor). Closing the result set tells its statement, which deregisters the execution
 * from the token. {@code getStatement} answers the statement's wrapper, {@code unwrap} and {@code isWrapperFor} see
 * the wrapped result set; {@code equals} and {@code hashCode} are identity. Every other method is plain delegation
 * ({@link DelegatingResultSet}).
 *
 * <p>Thread-safety: as the wrapped result set (one thread at a time).
 */
final class CancellableResultSet extends DelegatingResultSet {

    private final CancellableStatement<?> statement;
    private final StatementExecution execution;

    /**
     * @param statement what {@code getStatement()} answers, told when the result set is closed
     * @param execution the execution whose result set this is
     */
    CancellableResultSet(ResultSet delegate, CancellableStatement<?> statement, StatementExecution execution) {
        super(delegate);
        this.statement = statement;
        this.execution = execution;
    }

    /** A cursor move of the driver's result set. */
    @FunctionalInterface
    private interface Move {
        boolean move(ResultSet resultSet) throws SQLException;
    }

    /** Runs {@code move} as a call of the execution: refused once cancelled, cancelled while it fetches. */
    private boolean fetch(Move move) throws SQLException {
        execution.enterFetch();
        try {
            return move.move(delegate);
        } catch (SQLException ex) {
            throw execution.failureOf(ex);
        } finally {
            execution.exit();
        }
    }

    @Override
    public boolean next() throws SQLException {
        return fetch(ResultSet::next);
    }

    @Override
    public boolean previous() throws SQLException {
        return fetch(ResultSet::previous);
    }

    @Override
    public boolean first() throws SQLException {
        return fetch(ResultSet::first);
    }

    @Override
    public boolean last() throws SQLException {
        return fetch(ResultSet::last);
    }

    @Override
    public boolean absolute(int row) throws SQLException {
        return fetch(resultSet -> resultSet.absolute(row));
    }

    @Override
    public boolean relative(int rows) throws SQLException {
        return fetch(resultSet -> resultSet.relative(rows));
    }

    @Override
    public Statement getStatement() {
        return statement;
    }

    @Override
    public void close() throws SQLException {
        try {
            delegate.close();
        } finally {
            statement.resultSetClosed(execution);
        }
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || delegate.isWrapperFor(iface);
    }

    @Override
    public String toString() {
        return "Cancellable[" + delegate + "]";
    }
}
