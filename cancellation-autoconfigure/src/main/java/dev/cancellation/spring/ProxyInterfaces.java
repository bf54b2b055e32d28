package dev.cancellation.spring;

import static dev.cancellation.spring.MethodNames.describe;

import dev.cancellation.annotation.Cancellable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.SpringProxy;
import org.springframework.aop.TargetClassAware;
import org.springframework.core.DecoratingProxy;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * The interfaces of a JDK proxy bean as {@code @Cancellable} sees them: the application's interfaces (not Spring's
 * proxy plumbing), which interface method a proxy method implements, and the annotated interface methods that no
 * proxy can ever see called.
 *
 * <p>Thread-safety: stateless functions.
 */
final class ProxyInterfaces {

    private ProxyInterfaces() {
    }

    /** The interface method a method of the proxy class implements, and the proxied interface it comes through. */
    record Implemented(Class<?> owner, Method method) {
    }

    /**
     * The interfaces of a JDK proxy class that the application declared, in the proxy's order: without
     * {@code SpringProxy}, {@code Advised}, {@code DecoratingProxy} and their kind, which are how Spring's proxies
     * describe themselves.
     */
    static List<Class<?>> userInterfaces(Class<?> proxyClass) {
        List<Class<?>> interfaces = new ArrayList<>();
        for (Class<?> type : proxyClass.getInterfaces()) {
            if (!SpringProxy.class.isAssignableFrom(type) && !TargetClassAware.class.isAssignableFrom(type)
                    && !DecoratingProxy.class.isAssignableFrom(type)) {
                interfaces.add(type);
            }
        }
        return interfaces;
    }

    /**
     * The interface method that {@code proxyMethod} (a method of the proxy class) implements, found in the first
     * proxied interface that has it, as that interface sees it (its own redeclaration, or the inherited one);
     * {@code null} for the {@code Object} methods and Spring's own.
     */
    static @Nullable Implemented implemented(List<Class<?>> interfaces, Method proxyMethod) {
        int modifiers = proxyMethod.getModifiers();
        if (!Modifier.isPublic(modifiers) || Modifier.isStatic(modifiers)) {
            return null;
        }
        for (Class<?> type : interfaces) {
            Method method = ClassUtils.getMethodIfAvailable(type, proxyMethod.getName(),
                    proxyMethod.getParameterTypes());
            if (method != null && method.getDeclaringClass().isInterface()) {
                return new Implemented(type, method);
            }
        }
        return null;
    }

    /**
     * Fails for a {@code @Cancellable} static or private method of the interfaces: a JDK proxy only sees calls of
     * the abstract and default methods, so such an annotation would be silently ignored.
     *
     * @throws IllegalStateException naming the interface, the method, why and what to do
     */
    static void rejectUnreachable(List<Class<?>> interfaces) {
        for (Class<?> proxied : interfaces) {
            for (Class<?> type : ClassUtils.getAllInterfacesForClassAsSet(proxied)) {
                for (Method method : type.getDeclaredMethods()) {
                    int modifiers = method.getModifiers();
                    boolean unreachable = Modifier.isStatic(modifiers) || Modifier.isPrivate(modifiers);
                    if (unreachable && !method.isSynthetic()
                            && AnnotatedElementUtils.hasAnnotation(method, Cancellable.class)) {
                        throw new IllegalStateException("@Cancellable cannot apply to " + describe(method)
                                + " of interface " + type.getName() + " (the bean is a JDK proxy of "
                                + proxied.getName() + "): it is " + (Modifier.isStatic(modifiers) ? "static" : "private")
                                + ", so its calls never go through the proxy; annotate an abstract or default method "
                                + "of the interface instead, or move the work to a method of a class bean");
                    }
                }
            }
        }
    }
}
