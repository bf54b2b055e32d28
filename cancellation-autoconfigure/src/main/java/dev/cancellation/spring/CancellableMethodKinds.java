package dev.cancellation.spring;

import dev.cancellation.annotation.OnCancel;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.core.KotlinDetector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.scheduling.annotation.Async;
import org.springframework.util.ClassUtils;

/**
 * What kind of {@code @Cancellable} method a method is: which methods a class-level annotation applies to, how
 * its task relates to its return value ({@link CancellableMethod.Mode}), whether it is {@code @Retryable}.
 * Stateless.
 */
final class CancellableMethodKinds {

    private static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Mono",
            CancellableMethodKinds.class.getClassLoader());

    /** What Spring's AOP needs to run {@code suspend} functions as publishers (it checks the same class). */
    private static final boolean COROUTINES_REACTOR_PRESENT = REACTOR_PRESENT
            && ClassUtils.isPresent("kotlinx.coroutines.reactor.MonoKt", CancellableMethodKinds.class.getClassLoader());

    /** Spring 7's {@code @Retryable}, if present. */
    private static final @Nullable Class<? extends Annotation> RETRYABLE =
            optionalAnnotation("org.springframework.resilience.annotation.Retryable");

    private CancellableMethodKinds() {
    }

    @SuppressWarnings("unchecked")
    private static @Nullable Class<? extends Annotation> optionalAnnotation(String name) {
        try {
            return (Class<? extends Annotation>) ClassUtils.forName(name, CancellableMethodKinds.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError absent) {
            return null;
        }
    }

    /**
     * What a class-level {@code @Cancellable} applies to: not the {@code Object} methods nor their overrides
     * ({@code equals}, {@code hashCode}, {@code toString}), not {@code @OnCancel} cleanups, not the bean's
     * lifecycle callbacks ({@code afterPropertiesSet}, {@code destroy}).
     */
    static boolean isBusinessMethod(Method method) {
        Class<?> declaring = method.getDeclaringClass();
        if (declaring == Object.class || AnnotatedElementUtils.hasAnnotation(method, OnCancel.class)) {
            return false;
        }
        String name = method.getName();
        return switch (method.getParameterCount()) {
            case 0 -> !(name.equals("hashCode") || name.equals("toString")
                    || (name.equals("afterPropertiesSet") && InitializingBean.class.isAssignableFrom(declaring))
                    || (name.equals("destroy") && DisposableBean.class.isAssignableFrom(declaring)));
            case 1 -> !(name.equals("equals") && method.getParameterTypes()[0] == Object.class);
            default -> true;
        };
    }

    /**
     * The {@code ReactiveAdapter} of a reactive return type Spring knows (Reactor, RxJava, JDK Flow, ...), as an
     * {@code Object} so that callers load no Reactor class; {@code null} for futures and everything else.
     *
     * <p>A Kotlin {@code suspend} function counts as reactive whatever its erased return type: Spring's AOP
     * invokes it through {@code CoroutinesUtils}, so the advice sees a {@code Mono} (a {@code Flux} for a
     * {@code Flow}) that the proxy then awaits in the caller's coroutine.
     */
    static @Nullable Object reactiveAdapter(Method method) {
        if (COROUTINES_REACTOR_PRESENT && KotlinDetector.isSuspendingFunction(method)) {
            return ReactorTypes.adapterForSuspendingFunction(method);
        }
        Class<?> returnType = method.getReturnType();
        boolean future = Future.class.isAssignableFrom(returnType) || CompletionStage.class.isAssignableFrom(returnType);
        return (!future && REACTOR_PRESENT) ? ReactorTypes.adapterFor(returnType) : null;
    }

    static CancellableMethod.Mode mode(Class<?> userClass, Method method, @Nullable Object reactiveAdapter) {
        Class<?> returnType = method.getReturnType();
        boolean async = AnnotatedElementUtils.hasAnnotation(method, Async.class)
                || AnnotatedElementUtils.hasAnnotation(userClass, Async.class);
        boolean future = Future.class.isAssignableFrom(returnType) || CompletionStage.class.isAssignableFrom(returnType);
        if (reactiveAdapter != null) {
            return CancellableMethod.Mode.REACTIVE;
        } else if (future) {
            return async ? CancellableMethod.Mode.ASYNC_FUTURE : CancellableMethod.Mode.FUTURE;
        } else if (async) {
            return CancellableMethod.Mode.ASYNC_VOID;
        } else if (returnType.isAssignableFrom(CompletableFuture.class)) {
            return CancellableMethod.Mode.DYNAMIC; // Object, or a type variable: decided by the returned value
        }
        return CancellableMethod.Mode.SYNC;
    }

    /** Whether the method (or its class) carries Spring's {@code @Retryable}. */
    static boolean isRetryable(Class<?> userClass, Method method) {
        return RETRYABLE != null && (AnnotatedElementUtils.hasAnnotation(method, RETRYABLE)
                || AnnotatedElementUtils.hasAnnotation(userClass, RETRYABLE));
    }
}
