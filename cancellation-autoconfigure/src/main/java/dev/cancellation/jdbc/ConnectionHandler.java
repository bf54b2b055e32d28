package dev.cancellation.jdbc;

import dev.cancellation.CancellationReason;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import org.jspecify.annotations.Nullable;

/**
 * The proxy of a {@link Connection}: every statement it creates ({@code createStatement}, {@code prepareStatement},
 * {@code prepareCall}) is wrapped by a {@link StatementHandler}; every other call goes to the connection as is.
 *
 * <p>A statement that is already guarded (this connection wraps a connection proxy, such as Spring's
 * {@code TransactionAwareDataSourceProxy} or {@code LazyConnectionDataSourceProxy} hand out, around a guarded
 * connection) is returned as it is: one cancel layer, never two.
 *
 * <p>When a late cancel forces it, {@link #abortForLateCancel} aborts the wrapped connection (for a pool, its proxy
 * passes {@code abort} to the physical connection, which the pool then finds closed and discards). After that,
 * {@code rollback} and {@code close} succeed silently: the server ended the session and its transaction, and the
 * application's cleanup must not fail over it.
 *
 * <p>Thread-safety: as the wrapped connection; {@link #abortForLateCancel} is called by the thread using one of
 * its statements, the flag it sets is volatile. The query timeout decision is made by the thread using the
 * connection; two threads racing for it would both find the same answer.
 */
final class ConnectionHandler extends JdbcProxy<Connection> {

    private final StatementCanceller canceller;
    private final String dataSourceName;
    /** The data source this connection came from, if known: the key of the query timeout decision. */
    private final @Nullable Object dataSource;
    /** Whether statements get the query timeout backstop; {@code null} until the first execution asks. */
    private @Nullable Boolean queryTimeoutBackstop;
    private volatile boolean aborted;

    private ConnectionHandler(Connection delegate, StatementCanceller canceller, String dataSourceName,
            @Nullable Object dataSource) {
        super(delegate);
        this.canceller = canceller;
        this.dataSourceName = dataSourceName;
        this.dataSource = dataSource;
    }

    static Connection proxy(Connection connection, StatementCanceller canceller, String dataSourceName,
            @Nullable Object dataSource) {
        return create(Connection.class, new ConnectionHandler(connection, canceller, dataSourceName, dataSource));
    }

    /** {@code proxy} is the connection's proxy: the statements' {@code getConnection()} answers it. */
    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
        String name = method.getName();
        Connection connection = (Connection) proxy;
        switch (name) {
            case "createStatement":
                return guard(Statement.class, (Statement) call(method, args), connection);
            case "prepareStatement":
                return guard(PreparedStatement.class, (PreparedStatement) call(method, args), connection);
            case "prepareCall":
                return guard(CallableStatement.class, (CallableStatement) call(method, args), connection);
            case "rollback", "close":
                if (aborted) {
                    return quietly(method, args);
                }
                return call(method, args);
            default:
                Object common = invokeCommon(proxy, method, args);
                return (common != UNHANDLED) ? common : call(method, args);
        }
    }

    private <S extends Statement> @Nullable S guard(Class<S> type, @Nullable S statement, Connection connection) {
        if (statement != null && Proxy.isProxyClass(statement.getClass())
                && Proxy.getInvocationHandler(statement) instanceof StatementHandler) {
            return statement; // guarded by the connection this one wraps
        }
        return StatementHandler.proxy(type, statement, connection, this);
    }

    StatementCanceller canceller() {
        return canceller;
    }

    /**
     * Whether statements of this connection get a query timeout from the budget ({@link QueryTimeoutBackstop}),
     * decided on the first execution under a token and kept: the driver does not change under a connection.
     */
    boolean queryTimeoutBackstop() {
        Boolean known = queryTimeoutBackstop;
        if (known == null) {
            known = canceller.queryTimeoutBackstop(delegate, dataSource);
            queryTimeoutBackstop = known;
        }
        return known;
    }

    /** Whether {@link #abortForLateCancel} aborted the connection. */
    boolean isAborted() {
        return aborted;
    }

    /**
     * Aborts the connection: a cancel for one of its statements may still reach the server, where it would cancel
     * whatever the session runs next. Called on the statement's thread after its call returned; the abort runs
     * on this thread too, so the connection is closed before the application can give it back to its pool.
     */
    void abortForLateCancel(CancellationReason reason) {
        if (aborted) {
            return;
        }
        aborted = true;
        try {
            delegate.abort(Runnable::run);
            canceller.connectionAborted(dataSourceName, reason, null);
        } catch (SQLException | RuntimeException ex) {
            canceller.connectionAborted(dataSourceName, reason, ex);
        }
    }

    private @Nullable Object quietly(Method method, @Nullable Object @Nullable [] args) throws Throwable {
        try {
            return call(method, args);
        } catch (SQLException | RuntimeException ex) {
            return null; // the session is gone: its transaction was rolled back by the server
        }
    }
}
