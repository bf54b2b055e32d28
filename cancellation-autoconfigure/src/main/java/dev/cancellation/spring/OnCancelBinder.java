package dev.cancellation.spring;

import static dev.cancellation.spring.MethodNames.describe;
import static dev.cancellation.spring.MethodNames.simpleNames;

import dev.cancellation.CancellationReason;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.task.TaskInfo;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;

/**
 * Binds the {@code @OnCancel} methods of a bean class to its {@code @Cancellable} methods, at startup, as part of
 * {@link CancellableMethodResolver}'s resolution of the class: checks each cleanup's signature (return type,
 * leading {@code CancellationReason}/{@code TaskInfo} parameters, then a prefix of the task's parameters), matches
 * it to the tasks it names or fits, and rejects a task with two cleanups. Anything invalid throws an
 * {@link IllegalStateException} whose message names the class, the method and the problem.
 *
 * <p>Thread-safety: stateless functions; {@link #bind} mutates only the {@code CancellableMethod}s it is given,
 * which the resolver has not published yet.
 */
final class OnCancelBinder {

    private OnCancelBinder() {
    }

    /**
     * Validates the {@code @OnCancel} methods of {@code userClass} and binds each {@code @Cancellable} method of the
     * class to its cleanup (with {@link CancellableMethod#onCancel}): an {@code @OnCancel} naming a task is bound to
     * that task, one naming none to every task whose parameters it fits that has no named cleanup.
     *
     * @param cancellables the class's resolved {@code @Cancellable} methods, by method
     * @param onCancelMethods the class's methods annotated with {@code @OnCancel}
     * @return every {@code @OnCancel} method of the class, bound to its signature
     * @throws IllegalStateException naming the class and method, for a cleanup with an invalid signature, one that
     *         fits no task, or a task with more than one cleanup
     */
    static List<OnCancelMethod> bind(Class<?> userClass, Map<Method, CancellableMethod> cancellables,
            List<Method> onCancelMethods) {
        Map<CancellableMethod, List<OnCancelMethod>> specific = new LinkedHashMap<>();
        Map<CancellableMethod, List<OnCancelMethod>> general = new LinkedHashMap<>();
        List<OnCancelMethod> all = new ArrayList<>();
        for (Method method : onCancelMethods) {
            OnCancel annotation = AnnotatedElementUtils.findMergedAnnotation(method, OnCancel.class);
            String target = (annotation == null) ? "" : annotation.value().trim();
            OnCancelMethod cleanup = bindSignature(userClass, method);
            all.add(cleanup);
            int argumentCount = cleanup.argumentTypes().length;
            if (cancellables.isEmpty()) {
                throw new IllegalStateException(onCancelProblem(userClass, method,
                        "the bean has no @Cancellable method"));
            }
            List<CancellableMethod> named = cancellables.values().stream()
                    .filter(c -> target.isEmpty() || c.name().equals(target)).toList();
            if (named.isEmpty()) {
                Set<String> names = cancellables.values().stream().map(CancellableMethod::name)
                        .collect(Collectors.toCollection(LinkedHashSet::new));
                throw new IllegalStateException(onCancelProblem(userClass, method,
                        "\"" + target + "\" matches no @Cancellable task of the bean (its tasks: " + names + ")"));
            }
            List<CancellableMethod> fitting = named.stream()
                    .filter(c -> fits(cleanup.argumentTypes(), c.method().getParameterTypes())).toList();
            if (fitting.isEmpty()) {
                throw new IllegalStateException(onCancelProblem(userClass, method, "its " + argumentCount
                        + " argument parameter(s) " + simpleNames(cleanup.argumentTypes())
                        + " are not a prefix of the parameters of any of the tasks it is for: " + named.stream()
                                .map(c -> describe(c.method())).toList()));
            }
            Map<CancellableMethod, List<OnCancelMethod>> level = target.isEmpty() ? general : specific;
            for (CancellableMethod cancellable : fitting) {
                level.computeIfAbsent(cancellable, c -> new ArrayList<>()).add(cleanup);
            }
        }
        for (CancellableMethod cancellable : cancellables.values()) {
            List<OnCancelMethod> candidates = specific.getOrDefault(cancellable, general.get(cancellable));
            if (candidates == null) {
                continue;
            }
            if (candidates.size() > 1) {
                throw new IllegalStateException("Ambiguous @OnCancel methods for task " + cancellable.name() + " ("
                        + describe(cancellable.method()) + ") of " + MethodNames.owner(userClass) + ": "
                        + candidates.stream().map(c -> describe(c.method())).toList()
                        + "; keep one, or name the task in @OnCancel(\"...\") to choose");
            }
            cancellable.onCancel(candidates.get(0));
        }
        return all;
    }

    private static OnCancelMethod bindSignature(Class<?> userClass, Method method) {
        int modifiers = method.getModifiers();
        if (Modifier.isStatic(modifiers)) {
            throw new IllegalStateException(onCancelProblem(userClass, method, "it must not be static"));
        }
        Class<?> returnType = method.getReturnType();
        if (returnType != void.class && returnType != Void.class
                && !CompletionStage.class.isAssignableFrom(returnType)) {
            throw new IllegalStateException(onCancelProblem(userClass, method, "it returns "
                    + returnType.getName() + "; it must return void or a CompletionStage"));
        }
        Class<?>[] types = method.getParameterTypes();
        int reasonIndex = -1;
        int infoIndex = -1;
        int index = 0;
        while (index < types.length) {
            if (types[index] == CancellationReason.class && reasonIndex < 0) {
                reasonIndex = index++;
            } else if (types[index] == TaskInfo.class && infoIndex < 0) {
                infoIndex = index++;
            } else {
                break;
            }
        }
        for (int i = index; i < types.length; i++) {
            if (types[i] == CancellationReason.class || types[i] == TaskInfo.class) {
                throw new IllegalStateException(onCancelProblem(userClass, method, "its " + types[i].getSimpleName()
                        + " parameter must come before the call's arguments, and at most once"));
            }
        }
        return new OnCancelMethod(method, reasonIndex, infoIndex, Arrays.copyOfRange(types, index, types.length));
    }

    private static boolean fits(Class<?>[] arguments, Class<?>[] taskParameters) {
        if (arguments.length > taskParameters.length) {
            return false;
        }
        for (int i = 0; i < arguments.length; i++) {
            if (!ClassUtils.isAssignable(arguments[i], taskParameters[i])) {
                return false;
            }
        }
        return true;
    }

    private static String onCancelProblem(Class<?> userClass, Method method, String problem) {
        return "Invalid @OnCancel method " + describe(method) + " of " + MethodNames.owner(userClass) + ": "
                + problem + ". Expected: void or CompletionStage, optional CancellationReason and/or TaskInfo "
                + "parameters first, then a prefix of the cancelled method's parameters";
    }
}
