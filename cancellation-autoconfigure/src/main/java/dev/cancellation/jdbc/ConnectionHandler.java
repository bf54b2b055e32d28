package dev.cancellation.jdbc;

import java.lang.reflect.Method;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;

/**
 * The proxy of a {@link Connection}: every statement it creates ({@code createStatement}, {@code prepareStatement},
 * {@code prepareCall}) is wrapped by a {@link StatementHandler}; every other call goes to the connection as is.
 *
 * <p>Thread-safety: as the wrapped connection.
 */
final class ConnectionHandler extends JdbcProxy<Connection> {

    private final StatementCanceller canceller;
    private Connection proxy;

    private ConnectionHandler(Connection delegate, StatementCanceller canceller) {
        super(delegate);
        this.canceller = canceller;
    }

    static Connection proxy(Connection connection, StatementCanceller canceller) {
        ConnectionHandler handler = new ConnectionHandler(connection, canceller);
        handler.proxy = create(Connection.class, handler);
        return handler.proxy;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        switch (name) {
            case "createStatement":
                return StatementHandler.proxy(Statement.class, (Statement) call(method, args), this.proxy, canceller);
            case "prepareStatement":
                return StatementHandler.proxy(PreparedStatement.class, (PreparedStatement) call(method, args),
                        this.proxy, canceller);
            case "prepareCall":
                return StatementHandler.proxy(CallableStatement.class, (CallableStatement) call(method, args),
                        this.proxy, canceller);
            default:
                Object common = invokeCommon(proxy, method, args);
                return (common != UNHANDLED) ? common : call(method, args);
        }
    }
}
