package dev.cancellation.spring;

import java.lang.reflect.Method;
import org.jspecify.annotations.Nullable;
import org.springframework.core.MethodParameter;
import org.springframework.core.ReactiveAdapter;
import org.springframework.core.ReactiveAdapterRegistry;

/**
 * Reactive type lookups through Spring's {@link ReactiveAdapterRegistry}, in a class of their own so that nothing
 * touches Reactor-based adapters unless Reactor is present.
 *
 * <p>Thread-safety: stateless; the shared registry is thread-safe.
 */
final class ReactorTypes {

    private ReactorTypes() {
    }

    /** The adapter of a reactive return type (Reactor, RxJava, JDK Flow, ...); none for other types. */
    static @Nullable ReactiveAdapter adapterFor(Class<?> type) {
        if (type == void.class || type.isPrimitive() || type == Object.class) {
            return null;
        }
        return ReactiveAdapterRegistry.getSharedInstance().getAdapter(type);
    }

    /**
     * The adapter of what Spring's AOP turns a Kotlin {@code suspend} function's result into: {@code Flux} for a
     * function returning a {@code Flow}, else {@code Mono}. The Kotlin return type comes from
     * {@link MethodParameter}, as in Spring's own AOP proxies.
     */
    static ReactiveAdapter adapterForSuspendingFunction(Method method) {
        Class<?> kotlinReturnType = new MethodParameter(method, -1).getParameterType();
        Class<?> publisherType = "kotlinx.coroutines.flow.Flow".equals(kotlinReturnType.getName())
                ? reactor.core.publisher.Flux.class : reactor.core.publisher.Mono.class;
        ReactiveAdapter adapter = ReactiveAdapterRegistry.getSharedInstance().getAdapter(publisherType);
        if (adapter == null) {
            throw new IllegalStateException("No ReactiveAdapter for " + publisherType.getName());
        }
        return adapter;
    }
}
