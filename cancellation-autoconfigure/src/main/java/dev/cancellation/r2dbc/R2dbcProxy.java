package dev.cancellation.r2dbc;

import io.r2dbc.spi.Wrapped;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;

/**
 * Base of the JDK dynamic proxies around R2DBC objects. A proxy implements every public interface of the object it
 * wraps (so {@code io.r2dbc.postgresql.api.PostgresqlConnection} and other driver types stay castable) and
 * {@link Wrapped}, whose {@code unwrap()} answers the wrapped object (as Spring's
 * {@code ConnectionFactoryUtils.getTargetConnection} and r2dbc-pool expect); identity methods are the proxy's own.
 *
 * <p>Thread-safety: holds only final references; the wrapped object's own rules apply.
 */
abstract class R2dbcProxy<T> implements InvocationHandler {

    static final Object UNHANDLED = new Object();

    final T delegate;

    R2dbcProxy(T delegate) {
        this.delegate = delegate;
    }

    /** A proxy of {@code delegate} that is a {@code type}, with every public interface of the delegate. */
    static <P> P create(Class<P> type, Object delegate, InvocationHandler handler) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        interfaces.add(type);
        for (Class<?> candidate : ClassUtils.getAllInterfacesForClassAsSet(delegate.getClass())) {
            if (Modifier.isPublic(candidate.getModifiers()) && visible(candidate)) {
                interfaces.add(candidate);
            }
        }
        interfaces.add(Wrapped.class);
        return type.cast(Proxy.newProxyInstance(R2dbcProxy.class.getClassLoader(),
                interfaces.toArray(Class<?>[]::new), handler));
    }

    private static boolean visible(Class<?> type) {
        return ClassUtils.isVisible(type, R2dbcProxy.class.getClassLoader());
    }

    /** Handles the methods every proxy answers the same way; returns {@link #UNHANDLED} for the others. */
    final @Nullable Object invokeCommon(Object proxy, Method method, @Nullable Object @Nullable [] args)
            throws Throwable {
        switch (method.getName()) {
            case "equals":
                return (args != null && args.length == 1) ? proxy == args[0] : UNHANDLED;
            case "hashCode":
                return (args == null || args.length == 0) ? System.identityHashCode(proxy) : UNHANDLED;
            case "toString":
                return (args == null || args.length == 0) ? "Cancellable[" + delegate + "]" : UNHANDLED;
            case "unwrap":
                if (args == null || args.length == 0) {
                    return delegate;
                }
                if (args.length == 1 && args[0] instanceof Class<?> target) {
                    return unwrap(proxy, target);
                }
                return UNHANDLED;
            default:
                return UNHANDLED;
        }
    }

    /** The first object of the {@link Wrapped} chain from the proxy down that is a {@code target}, if any. */
    private @Nullable Object unwrap(Object proxy, Class<?> target) {
        if (target.isInstance(proxy)) {
            return proxy;
        }
        Object current = delegate;
        for (int depth = 0; depth < 16 && current != null; depth++) {
            if (target.isInstance(current)) {
                return current;
            }
            current = (current instanceof Wrapped<?> wrapped) ? wrapped.unwrap() : null;
        }
        return null;
    }

    final @Nullable Object call(Method method, @Nullable Object @Nullable [] args) throws Throwable {
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException ex) {
            throw ex.getCause();
        }
    }
}
