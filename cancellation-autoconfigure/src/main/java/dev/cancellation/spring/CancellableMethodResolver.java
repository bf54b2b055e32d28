package dev.cancellation.spring;

import static dev.cancellation.spring.MethodNames.describe;

import dev.cancellation.CancellationToken;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.MethodClassKey;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.util.StringUtils;
import org.springframework.util.StringValueResolver;

/**
 * Finds, resolves and validates the {@code @Cancellable} and {@code @OnCancel} methods of bean classes, once per
 * class, at startup: durations are parsed (with {@code ${...}} placeholders resolved), return types classified,
 * {@code @OnCancel} signatures bound (by {@link OnCancelBinder}). Anything invalid throws an
 * {@link IllegalStateException} whose message names the class, the method and the offending value, which fails
 * the creation of the bean and so the startup.
 *
 * <p>Thread-safety: results are cached in concurrent maps; resolution of one class may happen twice under a race,
 * with identical results.
 */
final class CancellableMethodResolver {

    private static final org.apache.commons.logging.Log LOGGER =
            org.apache.commons.logging.LogFactory.getLog(CancellableMethodResolver.class);

    private static final Set<Class<? extends java.lang.annotation.Annotation>> ANNOTATIONS =
            Set.of(Cancellable.class, OnCancel.class);

    private volatile @Nullable StringValueResolver valueResolver;
    private final Map<Class<?>, Optional<BeanMethods>> byClass = new ConcurrentHashMap<>();
    private final Map<MethodClassKey, Optional<CancellableMethod>> byMethod = new ConcurrentHashMap<>();
    private final Map<Method, LastResolved> lastByMethod = new ConcurrentHashMap<>();

    /** @param valueResolver resolves {@code ${...}} placeholders; without one, values are taken as they are */
    CancellableMethodResolver(@Nullable StringValueResolver valueResolver) {
        this.valueResolver = valueResolver;
    }

    /** Sets the placeholder resolver; called once, before any class is inspected. */
    void setValueResolver(StringValueResolver valueResolver) {
        this.valueResolver = valueResolver;
    }

    /** The annotated methods of a bean class. */
    record BeanMethods(Class<?> beanClass, Map<Method, CancellableMethod> cancellables, List<OnCancelMethod> cleanups) {

        boolean hasCancellables() {
            return !cancellables.isEmpty();
        }
    }

    /**
     * Inspects a bean class: empty if it has neither {@code @Cancellable} nor {@code @OnCancel} methods.
     *
     * @throws IllegalStateException naming the class, method and value on invalid use
     */
    Optional<BeanMethods> inspect(Class<?> beanClass) {
        Class<?> userClass = ClassUtils.getUserClass(beanClass);
        Optional<BeanMethods> known = byClass.get(userClass);
        if (known != null) {
            return known;
        }
        Optional<BeanMethods> result = Optional.ofNullable(resolve(userClass));
        byClass.put(userClass, result);
        result.ifPresent(methods -> methods.cancellables().forEach(
                (method, cancellable) -> byMethod.put(new MethodClassKey(method, userClass), Optional.of(cancellable))));
        return result;
    }

    /**
     * The resolved {@code @Cancellable} for a call of {@code method} on an instance of {@code targetClass}. The
     * last resolution of each method is kept by the method's identity (a proxy passes the same {@code Method}
     * on every call, and usually for one target class), which spares the per-call key and its
     * {@code Method.equals}.
     *
     * @return the method's {@code @Cancellable}, {@code null} if it is not one
     */
    @Nullable CancellableMethod find(Method method, Class<?> targetClass) {
        LastResolved last = lastByMethod.get(method);
        if (last != null && last.targetClass == targetClass) {
            return last.cancellable;
        }
        CancellableMethod found = resolveCall(method, targetClass);
        lastByMethod.put(method, new LastResolved(targetClass, found));
        return found;
    }

    /** A method's last resolution, for one target class. */
    private record LastResolved(Class<?> targetClass, @Nullable CancellableMethod cancellable) {
    }

    /**
     * Like {@link #find}, without keeping the result as the method's last resolution: for callers (the pointcut)
     * whose {@code Method} may be a copy of the one the proxy passes, which must not take the identity slot.
     */
    @Nullable CancellableMethod resolveCall(Method method, Class<?> targetClass) {
        Class<?> userClass = ClassUtils.getUserClass(targetClass);
        MethodClassKey key = new MethodClassKey(method, userClass);
        Optional<CancellableMethod> found = byMethod.get(key);
        if (found == null) {
            Method specific = AopUtils.getMostSpecificMethod(method, userClass);
            Optional<BeanMethods> methods = inspect(userClass);
            found = methods.map(m -> m.cancellables().get(specific));
            byMethod.put(key, found);
        }
        return found.orElse(null);
    }

    // ------------------------------------------------------------------------------------------ resolution

    private @Nullable BeanMethods resolve(Class<?> userClass) {
        if (Proxy.isProxyClass(userClass)) {
            return resolveProxy(userClass);
        }
        if (!AnnotationUtils.isCandidateClass(userClass, ANNOTATIONS)) {
            return null;
        }
        Method[] methods;
        try {
            methods = ReflectionUtils.getUniqueDeclaredMethods(userClass, ReflectionUtils.USER_DECLARED_METHODS);
        } catch (IllegalStateException | LinkageError ex) {
            // a class whose methods cannot be introspected (e.g. a missing optional dependency) cannot be ours
            return null;
        }
        Map<Method, CancellableMethod> cancellables = new LinkedHashMap<>();
        List<Method> onCancelMethods = new ArrayList<>();
        for (Method method : methods) {
            if (method.isBridge() || method.isSynthetic()) {
                continue;
            }
            CancellableMethod cancellable = resolveCancellable(userClass, method);
            if (cancellable != null) {
                cancellables.put(method, cancellable);
            }
            if (AnnotatedElementUtils.hasAnnotation(method, OnCancel.class)) {
                onCancelMethods.add(method);
            }
        }
        if (cancellables.isEmpty() && onCancelMethods.isEmpty()) {
            return null;
        }
        List<OnCancelMethod> cleanups = OnCancelBinder.bind(userClass, cancellables, onCancelMethods);
        return new BeanMethods(userClass, Map.copyOf(cancellables), List.copyOf(cleanups));
    }

    /**
     * The methods of a JDK proxy bean (a Spring Data repository, an HTTP interface client, a mapper): it has no
     * class of its own, so its interfaces play the part of the class. Each public method of the proxy class (the
     * key, which is what {@link AopUtils#getMostSpecificMethod} finds for an interface method) is resolved from the
     * interface method it implements; the task is named after that interface.
     */
    private @Nullable BeanMethods resolveProxy(Class<?> proxyClass) {
        List<Class<?>> interfaces = ProxyInterfaces.userInterfaces(proxyClass);
        if (interfaces.stream().noneMatch(type -> AnnotationUtils.isCandidateClass(type, ANNOTATIONS))) {
            return null;
        }
        ProxyInterfaces.rejectUnreachable(interfaces);
        Map<Method, CancellableMethod> cancellables = new LinkedHashMap<>();
        List<Method> onCancelMethods = new ArrayList<>();
        Class<?> owner = interfaces.get(0);
        for (Method proxyMethod : proxyClass.getDeclaredMethods()) {
            ProxyInterfaces.Implemented implemented = ProxyInterfaces.implemented(interfaces, proxyMethod);
            if (implemented == null) {
                continue;
            }
            Method method = implemented.method();
            Cancellable onMethod = AnnotatedElementUtils.findMergedAnnotation(method, Cancellable.class);
            Cancellable onType = AnnotatedElementUtils.findMergedAnnotation(implemented.owner(), Cancellable.class);
            if (onMethod != null || (onType != null && CancellableMethodKinds.isBusinessMethod(method))) {
                cancellables.put(proxyMethod, build(implemented.owner(), method, onMethod, onType));
                owner = implemented.owner();
            }
            if (AnnotatedElementUtils.hasAnnotation(method, OnCancel.class)) {
                onCancelMethods.add(method);
            }
        }
        if (cancellables.isEmpty() && onCancelMethods.isEmpty()) {
            return null;
        }
        List<OnCancelMethod> cleanups = OnCancelBinder.bind(owner, cancellables, onCancelMethods);
        return new BeanMethods(proxyClass, Map.copyOf(cancellables), List.copyOf(cleanups));
    }

    private @Nullable CancellableMethod resolveCancellable(Class<?> userClass, Method method) {
        Cancellable onMethod = AnnotatedElementUtils.findMergedAnnotation(method, Cancellable.class);
        int modifiers = method.getModifiers();
        Cancellable onClass = null;
        if (onMethod == null) {
            if (!Modifier.isPublic(modifiers) || Modifier.isStatic(modifiers) || !CancellableMethodKinds.isBusinessMethod(method)) {
                return null;
            }
            onClass = AnnotatedElementUtils.findMergedAnnotation(method.getDeclaringClass(), Cancellable.class);
            if (onClass == null) {
                return null;
            }
            if (Modifier.isFinal(modifiers) && !Modifier.isFinal(userClass.getModifiers())) {
                LOGGER.warn("@Cancellable on class " + userClass.getName() + " does not apply to "
                        + describe(method) + ": it is final, so a proxy cannot advise it (make it non-final to "
                        + "run it as a task)");
                return null;
            }
        } else {
            onClass = AnnotatedElementUtils.findMergedAnnotation(userClass, Cancellable.class);
        }
        requireAdvisable(userClass, method, onMethod != null);
        return build(userClass, method, onMethod, onClass);
    }

    /**
     * A validated {@code @Cancellable} method from its annotations.
     *
     * @param userClass the bean class, or for a JDK proxy bean the interface that the bean implements the method
     *     for: it names the task and the messages
     */
    private CancellableMethod build(Class<?> userClass, Method method, @Nullable Cancellable onMethod,
            @Nullable Cancellable onClass) {
        String name = taskName(userClass, method, onMethod, onClass);
        DurationSetting timeout = duration(userClass, method, "timeout",
                attribute(onMethod, onClass, Cancellable::timeout), false);
        DurationSetting interruptAfter = duration(userClass, method, "interruptAfter",
                attribute(onMethod, onClass, Cancellable::interruptAfter), true);

        Class<?>[] parameterTypes = method.getParameterTypes();
        int[] tokenParameters = java.util.stream.IntStream.range(0, parameterTypes.length)
                .filter(i -> parameterTypes[i] == CancellationToken.class).toArray();

        Class<?> returnType = method.getReturnType();
        Object reactiveAdapter = CancellableMethodKinds.reactiveAdapter(method);
        CancellableMethod.Mode mode = CancellableMethodKinds.mode(userClass, method, reactiveAdapter);
        // A scheduler logs any exception of a run as an unexpected error; a cancelled void run is not one.
        boolean quietWhenCancelled = mode == CancellableMethod.Mode.SYNC && returnType == void.class
                && AnnotatedElementUtils.hasAnnotation(method, Scheduled.class);
        boolean retryable = CancellableMethodKinds.isRetryable(userClass, method);
        if (retryable && mode.isAsync()) {
            // The retries would run on the executor thread after the task's single attempt ended it.
            throw new IllegalStateException("@Cancellable cannot apply to " + describe(method) + " of "
                    + MethodNames.owner(userClass) + ": it is both @Async and @Retryable, whose retries would run outside "
                    + "its task; make the @Async method call a @Retryable one on another bean, or drop one of them");
        }
        return new CancellableMethod(method, name, timeout, interruptAfter, mode, tokenParameters,
                reactiveAdapter, quietWhenCancelled, retryable);
    }

    private static void requireAdvisable(Class<?> userClass, Method method, boolean annotatedMethod) {
        int modifiers = method.getModifiers();
        String problem = null;
        if (Modifier.isPrivate(modifiers)) {
            problem = "private";
        } else if (Modifier.isStatic(modifiers)) {
            problem = "static";
        } else if (Modifier.isFinal(modifiers)) {
            problem = "final";
        } else if (Modifier.isFinal(userClass.getModifiers())) {
            problem = "declared by a final class";
        }
        if (problem != null) {
            throw new IllegalStateException("@Cancellable " + (annotatedMethod ? "" : "(from the class) ")
                    + "cannot apply to " + describe(method) + " of bean class " + userClass.getName() + ": it is "
                    + problem + ", so a proxy cannot advise it; make it a non-final instance method (public for "
                    + "interface-based proxies) of a non-final class");
        }
    }

    private static String attribute(@Nullable Cancellable onMethod, @Nullable Cancellable onClass,
            java.util.function.Function<Cancellable, String> attribute) {
        String value = (onMethod != null) ? attribute.apply(onMethod) : "";
        if (!StringUtils.hasText(value) && onClass != null) {
            value = attribute.apply(onClass);
        }
        return value;
    }

    private static String taskName(Class<?> userClass, Method method, @Nullable Cancellable onMethod,
            @Nullable Cancellable onClass) {
        if (onMethod != null && StringUtils.hasText(onMethod.name())) {
            return onMethod.name().trim();
        }
        String prefix = (onClass != null && StringUtils.hasText(onClass.name())) ? onClass.name().trim()
                : userClass.getSimpleName();
        return prefix + "." + method.getName();
    }

    private DurationSetting duration(Class<?> userClass, Method method, String attribute, String raw,
            boolean interrupt) {
        String value = raw;
        if (StringUtils.hasText(value) && valueResolver != null) {
            try {
                value = valueResolver.resolveStringValue(value);
            } catch (RuntimeException ex) {
                throw new IllegalStateException(invalid(userClass, method, attribute, describeValue(raw, raw),
                        "cannot be resolved: "
                        + ex.getMessage()), ex);
            }
        }
        if (!StringUtils.hasText(value)) {
            return DurationSetting.DEFAULT;
        }
        String trimmed = value.trim();
        if (trimmed.contains("${")) {
            throw new IllegalStateException(invalid(userClass, method, attribute, describeValue(raw, trimmed),
                    "has a placeholder that cannot be resolved"));
        }
        if (interrupt && (trimmed.equals("-1") || trimmed.equalsIgnoreCase("never"))) {
            return DurationSetting.NONE;
        }
        if (!interrupt && trimmed.equalsIgnoreCase("none")) {
            return DurationSetting.NONE;
        }
        Duration duration;
        try {
            duration = DurationStyle.detectAndParse(trimmed);
        } catch (RuntimeException ex) {
            throw new IllegalStateException(invalid(userClass, method, attribute, describeValue(raw, trimmed),
                    "is not a duration (expected e.g. \"500ms\", \"30s\", \"2m\" or \"PT2M\""
                            + (interrupt ? ", or \"never\")" : ", or \"none\")")), ex);
        }
        if (duration.isNegative()) {
            throw new IllegalStateException(invalid(userClass, method, attribute, describeValue(raw, trimmed),
                    "is negative" + (interrupt ? " (use \"never\" or \"-1\" to never interrupt)" : "")));
        }
        if (!interrupt && duration.isZero()) {
            return DurationSetting.NONE;
        }
        return DurationSetting.of(duration);
    }

    private static String describeValue(String raw, String resolved) {
        return raw.equals(resolved) ? "\"" + raw + "\"" : "\"" + raw + "\" (resolved to \"" + resolved + "\")";
    }

    private static String invalid(Class<?> userClass, Method method, String attribute, String value, String problem) {
        return "Invalid @Cancellable on " + describe(method) + " of " + MethodNames.owner(userClass) + ": "
                + attribute + " " + value + " " + problem;
    }
}
