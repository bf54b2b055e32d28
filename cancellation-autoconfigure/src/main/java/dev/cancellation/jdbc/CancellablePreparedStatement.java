package dev.cancellation.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * The wrapper of a {@link PreparedStatement}: a {@link CancellableStatement} whose executions without SQL
 * ({@code execute()}, {@code executeQuery()}, {@code executeUpdate()}, {@code executeLargeUpdate()}) follow the
 * current token as the statement's do. The other methods it adds are plain delegation
 * ({@link DelegatingPreparedStatement}).
 *
 * <p>Thread-safety: as the wrapped statement (one thread at a time).
 *
 * @param <S> the type of the wrapped statement
 */
class CancellablePreparedStatement<S extends PreparedStatement> extends DelegatingPreparedStatement<S> {

    CancellablePreparedStatement(S delegate, CancellableConnection connection) {
        super(delegate, connection);
    }

    @Override
    public boolean execute() throws SQLException {
        return executeForResult((statement, none) -> statement.execute(), null);
    }

    @Override
    public @Nullable ResultSet executeQuery() throws SQLException {
        return executeForObject((statement, none) -> statement.executeQuery(), null);
    }

    @Override
    public int executeUpdate() throws SQLException {
        return (int) executeForCount((statement, none) -> statement.executeUpdate(), null);
    }

    @Override
    public long executeLargeUpdate() throws SQLException {
        return executeForCount((statement, none) -> statement.executeLargeUpdate(), null);
    }
}
