package dev.cancellation.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import org.jspecify.annotations.NullUnmarked;

/**
 * Plain delegation of every {@link Statement} method to the wrapped statement, except those
 * {@link CancellableStatement} decorates (every {@code execute*}, {@code setQueryTimeout}, {@code getQueryTimeout},
 * {@code getResultSet}, {@code getConnection}, {@code close}, {@code unwrap}, {@code isWrapperFor}), left abstract
 * here so that it cannot miss one. The wrappers of the other statements extend it, one class per interface:
 * {@link DelegatingPreparedStatement} extends {@code CancellableStatement}, {@link DelegatingCallableStatement}
 * extends {@link CancellablePreparedStatement}, so that a prepared statement's wrapper is a statement's wrapper.
 *
 * <p>Written out rather than a JDK dynamic proxy: a proxy reaches the driver through {@code Method.invoke} on every
 * call, the arguments boxed into an array, which a profile of the demo under load charged with most of the JDBC edge's
 * cost ({@code JdbcStatementBenchmark}: a statement under a token 1,213 ns against 894 ns raw, with the proxies). Here
 * each method is one direct call that the JIT inlines. The interface's default methods are delegated too, as the proxy
 * did: a driver may implement them ({@code enquoteLiteral}, {@code executeLargeUpdate}). Nothing but delegation lives
 * here, one method per JDBC method. {@code JdbcWrapperDelegationTests} checks that every method reaches the wrapped
 * object with its arguments.
 *
 * <p>JDBC's nullness is unspecified (a getter answers {@code null} for SQL {@code NULL}, a setter may take it):
 * values pass through as they are.
 *
 * <p>Thread-safety: holds only a final reference; the wrapped statement's own rules apply.
 *
 * @param <S> the type of the wrapped statement
 */
@NullUnmarked
abstract class DelegatingStatement<S extends Statement> implements Statement {

    /** The wrapped statement. */
    final S delegate;

    DelegatingStatement(S delegate) {
        this.delegate = delegate;
    }

    @Override
    public int getMaxFieldSize() throws SQLException {
        return delegate.getMaxFieldSize();
    }

    @Override
    public void setMaxFieldSize(int max) throws SQLException {
        delegate.setMaxFieldSize(max);
    }

    @Override
    public int getMaxRows() throws SQLException {
        return delegate.getMaxRows();
    }

    @Override
    public void setMaxRows(int max) throws SQLException {
        delegate.setMaxRows(max);
    }

    @Override
    public void setEscapeProcessing(boolean enable) throws SQLException {
        delegate.setEscapeProcessing(enable);
    }

    @Override
    public void cancel() throws SQLException {
        delegate.cancel();
    }

    @Override
    public SQLWarning getWarnings() throws SQLException {
        return delegate.getWarnings();
    }

    @Override
    public void clearWarnings() throws SQLException {
        delegate.clearWarnings();
    }

    @Override
    public void setCursorName(String name) throws SQLException {
        delegate.setCursorName(name);
    }

    @Override
    public int getUpdateCount() throws SQLException {
        return delegate.getUpdateCount();
    }

    @Override
    public boolean getMoreResults() throws SQLException {
        return delegate.getMoreResults();
    }

    @Override
    public void setFetchDirection(int direction) throws SQLException {
        delegate.setFetchDirection(direction);
    }

    @Override
    public int getFetchDirection() throws SQLException {
        return delegate.getFetchDirection();
    }

    @Override
    public void setFetchSize(int rows) throws SQLException {
        delegate.setFetchSize(rows);
    }

    @Override
    public int getFetchSize() throws SQLException {
        return delegate.getFetchSize();
    }

    @Override
    public int getResultSetConcurrency() throws SQLException {
        return delegate.getResultSetConcurrency();
    }

    @Override
    public int getResultSetType() throws SQLException {
        return delegate.getResultSetType();
    }

    @Override
    public void addBatch(String sql) throws SQLException {
        delegate.addBatch(sql);
    }

    @Override
    public void clearBatch() throws SQLException {
        delegate.clearBatch();
    }

    @Override
    public boolean getMoreResults(int current) throws SQLException {
        return delegate.getMoreResults(current);
    }

    @Override
    public ResultSet getGeneratedKeys() throws SQLException {
        return delegate.getGeneratedKeys();
    }

    @Override
    public int getResultSetHoldability() throws SQLException {
        return delegate.getResultSetHoldability();
    }

    @Override
    public boolean isClosed() throws SQLException {
        return delegate.isClosed();
    }

    @Override
    public void setPoolable(boolean poolable) throws SQLException {
        delegate.setPoolable(poolable);
    }

    @Override
    public boolean isPoolable() throws SQLException {
        return delegate.isPoolable();
    }

    @Override
    public void closeOnCompletion() throws SQLException {
        delegate.closeOnCompletion();
    }

    @Override
    public boolean isCloseOnCompletion() throws SQLException {
        return delegate.isCloseOnCompletion();
    }

    @Override
    public long getLargeUpdateCount() throws SQLException {
        return delegate.getLargeUpdateCount();
    }

    @Override
    public void setLargeMaxRows(long max) throws SQLException {
        delegate.setLargeMaxRows(max);
    }

    @Override
    public long getLargeMaxRows() throws SQLException {
        return delegate.getLargeMaxRows();
    }

    @Override
    public String enquoteLiteral(String val) throws SQLException {
        return delegate.enquoteLiteral(val);
    }

    @Override
    public String enquoteIdentifier(String identifier, boolean alwaysQuote) throws SQLException {
        return delegate.enquoteIdentifier(identifier, alwaysQuote);
    }

    @Override
    public boolean isSimpleIdentifier(String identifier) throws SQLException {
        return delegate.isSimpleIdentifier(identifier);
    }

    @Override
    public String enquoteNCharLiteral(String val) throws SQLException {
        return delegate.enquoteNCharLiteral(val);
    }
}
