package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.CleanupAction;
import dev.cancellation.task.TaskInfo;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ReflectionUtils;

/**
 * An {@code @OnCancel} method with its parameter binding, validated at startup: turned, per call of a
 * {@code @Cancellable} method, into the {@link CleanupAction} of its task.
 *
 * <p>Binding: the parameter of type {@link CancellationReason} (if any) gets the reason, the parameter of type
 * {@link TaskInfo} (if any) the task; both come first. The remaining parameters get the first arguments of the
 * cancelled call, in order.
 *
 * <p>Immutable, hence thread-safe.
 */
final class OnCancelMethod {

    private final Method method;
    private final int reasonIndex;
    private final int infoIndex;
    private final Class<?>[] argumentTypes;
    private final int argumentCount;
    private final boolean viaProxy;

    OnCancelMethod(Method method, int reasonIndex, int infoIndex, Class<?>[] argumentTypes) {
        this.method = method;
        this.reasonIndex = reasonIndex;
        this.infoIndex = infoIndex;
        this.argumentTypes = argumentTypes;
        this.argumentCount = argumentTypes.length;
        int modifiers = method.getModifiers();
        // Public methods go through the proxy, so that other advice (e.g. @Transactional) applies to the cleanup.
        this.viaProxy = Modifier.isPublic(modifiers) && !Modifier.isFinal(modifiers);
        ReflectionUtils.makeAccessible(method);
    }

    Method method() {
        return method;
    }

    /** The types of the parameters bound to the cancelled call's first arguments. */
    Class<?>[] argumentTypes() {
        return argumentTypes.clone();
    }

    /** The cleanup of one call on {@code target} (reached through {@code proxy} if possible). */
    CleanupAction action(@Nullable Object target, @Nullable Object proxy, Object[] callArguments) {
        Object receiver = (viaProxy && proxy != null && method.getDeclaringClass().isInstance(proxy)) ? proxy : target;
        return (task, reason, token) -> invoke(receiver, task, reason, callArguments);
    }

    private @Nullable CompletionStage<?> invoke(@Nullable Object receiver, TaskInfo task, CancellationReason reason,
            Object[] callArguments) throws Exception {
        int leading = (reasonIndex >= 0 ? 1 : 0) + (infoIndex >= 0 ? 1 : 0);
        Object[] arguments = new Object[leading + argumentCount];
        if (reasonIndex >= 0) {
            arguments[reasonIndex] = reason;
        }
        if (infoIndex >= 0) {
            arguments[infoIndex] = task;
        }
        System.arraycopy(callArguments, 0, arguments, leading, argumentCount);
        try {
            Object result = method.invoke(receiver, arguments);
            return (result instanceof CompletionStage<?> stage) ? stage : null;
        } catch (InvocationTargetException ex) {
            Throwable cause = ex.getTargetException();
            if (cause instanceof Exception exception) {
                throw exception;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw ex;
        }
    }

    @Override
    public String toString() {
        return "@OnCancel " + MethodNames.describe(method);
    }
}
