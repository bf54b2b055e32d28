package dev.cancellation.jdbc;

import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.jspecify.annotations.Nullable;

/**
 * Driver specifics of cancelling on the server. PostgreSQL's driver ignores {@link Statement#cancel()} while a
 * result set fetches the next rows of a cursor (the statement counts as idle then), so a fetch is cancelled with
 * the driver's public {@code PGConnection.cancelQuery()}, found by name so that the driver stays optional.
 *
 * <p>Thread-safety: stateless; called on the cancel threads.
 */
final class ServerCancel {

    private static final String PG_CONNECTION = "org.postgresql.PGConnection";

    private ServerCancel() {
    }

    /**
     * What cancels the fetch of the statement's connection, where {@code cancel()} alone does not; {@code null}
     * if {@code cancel()} is enough. Resolved before anything is sent: afterwards only the request travels.
     */
    static @Nullable FetchCancel fetchCancel(Statement statement) throws SQLException {
        Connection connection = statement.getConnection();
        Class<?> pgConnection = load(PG_CONNECTION, statement);
        if (pgConnection == null || !connection.isWrapperFor(pgConnection)) {
            return null;
        }
        Object pg = connection.unwrap(pgConnection);
        try {
            return new FetchCancel(pg, pgConnection.getMethod("cancelQuery"));
        } catch (NoSuchMethodException ex) {
            throw new SQLException("PGConnection.cancelQuery() not found", ex);
        }
    }

    /** {@code PGConnection.cancelQuery()} of one connection. */
    record FetchCancel(Object connection, Method cancelQuery) {

        void send() throws SQLException {
            try {
                cancelQuery.invoke(connection);
            } catch (ReflectiveOperationException ex) {
                throw new SQLException("PGConnection.cancelQuery() failed", ex);
            }
        }
    }

    private static @Nullable Class<?> load(String name, Statement statement) {
        for (ClassLoader loader : new ClassLoader[] {statement.getClass().getClassLoader(),
                Thread.currentThread().getContextClassLoader(), ServerCancel.class.getClassLoader()}) {
            if (loader == null) {
                continue;
            }
            try {
                return Class.forName(name, false, loader);
            } catch (ClassNotFoundException ex) {
                // try the next loader
            }
        }
        return null;
    }
}
