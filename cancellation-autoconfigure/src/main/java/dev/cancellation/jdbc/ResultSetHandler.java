package dev.cancellation.jdbc;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.ResultSet;
import java.sql.Statement;
import org.jspecify.annotations.Nullable;

/**
 * The proxy of a {@link ResultSet} read under a live token. The cursor moves ({@code next}, {@code previous},
 * {@code first}, {@code last}, {@code absolute}, {@code relative}) are calls of the statement's execution: refused
 * once the token is cancelled, and cancelled on the server while they wait for it (the driver fetching the next
 * rows of a {@code fetchSize} cursor). Closing the result set tells its statement, which deregisters the execution
 * from the token.
 *
 * <p>Thread-safety: as the wrapped result set (one thread at a time).
 */
final class ResultSetHandler extends JdbcProxy<ResultSet> {

    private final Statement statement;
    private final StatementExecution execution;
    private final Runnable onClose;

    private ResultSetHandler(ResultSet delegate, Statement statement, StatementExecution execution,
            Runnable onClose) {
        super(delegate);
        this.statement = statement;
        this.execution = execution;
        this.onClose = onClose;
    }

    /**
     * @param statement what {@code getStatement()} answers (the statement's proxy)
     * @param onClose run when the result set is closed
     */
    static ResultSet proxy(ResultSet resultSet, Statement statement, StatementExecution execution,
            Runnable onClose) {
        return create(ResultSet.class, new ResultSetHandler(resultSet, statement, execution, onClose));
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
        switch (method.getName()) {
            case "next", "previous", "first", "last", "absolute", "relative":
                return move(method, args);
            case "getStatement":
                return statement;
            case "close":
                try {
                    return call(method, args);
                } finally {
                    onClose.run();
                }
            default:
                Object common = invokeCommon(proxy, method, args);
                return (common != UNHANDLED) ? common : call(method, args);
        }
    }

    private @Nullable Object move(Method method, @Nullable Object @Nullable [] args) throws Throwable {
        execution.enterFetch();
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException ex) {
            throw execution.failureOf(ex);
        } finally {
            execution.exit();
        }
    }
}
