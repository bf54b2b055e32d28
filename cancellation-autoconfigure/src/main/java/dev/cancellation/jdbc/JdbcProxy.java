package dev.cancellation.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
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

    static <P> P create(Class<P> type, InvocationHandler handler) {
        return type.cast(Proxy.newProxyInstance(JdbcProxy.class.getClassLoader(), new Class<?>[] {type}, handler));
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
