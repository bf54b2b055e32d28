package dev.cancellation.jdbc;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.jspecify.annotations.Nullable;

/**
 * Base of the JDK dynamic proxies around JDBC objects: identity methods, {@code unwrap}/{@code isWrapperFor}
 * that see the wrapped object (so {@code unwrap(PGConnection.class)} and friends keep working), and calls to the
 * wrapped object with the driver's exception rethrown as is.
 *
 * <p>Thread-safety: holds only final references; the wrapped object's own rules apply.
 */
abstract class JdbcProxy<T> implements InvocationHandler {

    final T delegate;

    JdbcProxy(T delegate) {
        this.delegate = delegate;
    }

    /*
     * The proxy classes' constructors, looked up once: Proxy.newProxyInstance looks the class up in two caches and
     * calls the constructor reflectively on every call, three times per statement (connection, statement, result
     * set). A constant handle compiles to a plain allocation (JdbcStatementBenchmark).
     */
    private static final MethodHandle CONNECTION = constructorOf(Connection.class);
    private static final MethodHandle STATEMENT = constructorOf(Statement.class);
    private static final MethodHandle PREPARED_STATEMENT = constructorOf(PreparedStatement.class);
    private static final MethodHandle CALLABLE_STATEMENT = constructorOf(CallableStatement.class);
    private static final MethodHandle RESULT_SET = constructorOf(ResultSet.class);

    static <P> P create(Class<P> type, InvocationHandler handler) {
        try {
            Object proxy;
            if (type == Connection.class) {
                proxy = (Object) CONNECTION.invokeExact(handler);
            } else if (type == PreparedStatement.class) {
                proxy = (Object) PREPARED_STATEMENT.invokeExact(handler);
            } else if (type == ResultSet.class) {
                proxy = (Object) RESULT_SET.invokeExact(handler);
            } else if (type == Statement.class) {
                proxy = (Object) STATEMENT.invokeExact(handler);
            } else if (type == CallableStatement.class) {
                proxy = (Object) CALLABLE_STATEMENT.invokeExact(handler);
            } else {
                proxy = Proxy.newProxyInstance(JdbcProxy.class.getClassLoader(), new Class<?>[] {type}, handler);
            }
            return type.cast(proxy);
        } catch (RuntimeException | Error ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new IllegalStateException("Cannot create the proxy of a " + type.getName(), ex);
        }
    }

    private static MethodHandle constructorOf(Class<?> type) {
        Class<?> proxyClass = Proxy.newProxyInstance(JdbcProxy.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> null).getClass();
        try {
            return MethodHandles.publicLookup()
                    .findConstructor(proxyClass, MethodType.methodType(void.class, InvocationHandler.class))
                    .asType(MethodType.methodType(Object.class, InvocationHandler.class));
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /**
     * Handles the methods every proxy answers the same way; returns {@link #UNHANDLED} for the others.
     */
    final @Nullable Object invokeCommon(Object proxy, Method method, @Nullable Object @Nullable [] args)
            throws Throwable {
        switch (method.getName()) {
            case "equals":
                return proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            case "toString":
                return "Cancellable[" + delegate + "]";
            case "unwrap":
                if (args != null && args.length == 1 && ((Class<?>) args[0]).isInstance(proxy)) {
                    return proxy;
                }
                return call(method, args);
            case "isWrapperFor":
                if (args != null && args.length == 1 && ((Class<?>) args[0]).isInstance(proxy)) {
                    return true;
                }
                return call(method, args);
            default:
                return UNHANDLED;
        }
    }

    static final Object UNHANDLED = new Object();

    final @Nullable Object call(Method method, @Nullable Object @Nullable [] args) throws Throwable {
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException ex) {
            throw ex.getCause();
        }
    }
}
