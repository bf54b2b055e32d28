package dev.cancellation.spring;

import org.jspecify.annotations.Nullable;
import org.springframework.core.ReactiveAdapter;
import org.springframework.core.ReactiveAdapterRegistry;

/**
 * Reactive type lookups through Spring's {@link ReactiveAdapterRegistry}, in a class of their own so that nothing
 * touches Reactor-based adapters unless Reactor is present.
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
}
