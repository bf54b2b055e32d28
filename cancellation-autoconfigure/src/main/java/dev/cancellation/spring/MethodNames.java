package dev.cancellation.spring;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the messages and {@code toString()}s of this package name methods:
 * {@code SimpleClassName.method(ParamType, ...)}. Stateless.
 */
final class MethodNames {

    private MethodNames() {
    }

    /** {@code (SimpleName, ...)}. */
    static String simpleNames(Class<?>[] types) {
        return Arrays.stream(types).map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
    }

    /**
     * What owns a method, in messages: {@code bean class com.example.Orders}, or for the interface of a JDK proxy
     * bean {@code interface com.example.OrderRepository}.
     */
    static String owner(Class<?> type) {
        return (type.isInterface() ? "interface " : "bean class ") + type.getName();
    }

    /** {@code SimpleClassName.method(ParamType, ...)}. */
    static String describe(Method method) {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName()
                + simpleNames(method.getParameterTypes());
    }
}
