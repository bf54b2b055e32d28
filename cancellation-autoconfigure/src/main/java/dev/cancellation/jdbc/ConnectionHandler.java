package dev.cancellation.jdbc;

import java.lang.reflect.Method;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.jspecify.annotations.Nullable;

/**
 * The proxy of a {@link Connection}: every statement it creates ({@code createStatement}, {@code prepareStatement},
 * {@code prepareCall}) is wrapped by a {@link StatementHandler}; every other call goes to the connection as is.
 *
 * <p>Thread-safety: as the wrapped connection.
 */
final class ConnectionHandler extends JdbcProxy<Connection> {

    private final StatementCanceller canceller;

    private ConnectionHandler(Connection delegate, StatementCanceller canceller) {
        super(delegate);
        this.canceller = canceller;
    }

    static Connection proxy(Connection connection, StatementCanceller canceller) {
        return create(Connection.class, new ConnectionHandler(connection, canceller));
    }

    /** {@code proxy} is the connection's proxy: the statements' {@code getConnection()} answers it. */
    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
        String name = method.getName();
        Connection connection = (Connection) proxy;
        switch (name) {
            case "createStatement":
                return StatementHandler.proxy(Statement.class, (Statement) call(method, args), connection, canceller);
            case "prepareStatement":
                return StatementHandler.proxy(PreparedStatement.class, (PreparedStatement) call(method, args),
                        connection, canceller);
            case "prepareCall":
                return StatementHandler.proxy(CallableStatement.class, (CallableStatement) call(method, args),
                        connection, canceller);
            default:
                Object common = invokeCommon(proxy, method, args);
                return (common != UNHANDLED) ? common : call(method, args);
        }
    }
}
