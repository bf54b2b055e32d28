package dev.cancellation.spring;

import dev.cancellation.CancellationToken;
import dev.cancellation.task.CleanupAction;
import dev.cancellation.task.TaskSpec;
import java.lang.reflect.Method;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A {@code @Cancellable} method of a bean class, resolved and validated at startup: everything the interceptor
 * needs per call, so that a call does no annotation lookup or parsing.
 *
 * <p>Immutable, hence thread-safe.
 */
final class CancellableMethod {

    /** How the method's work relates to the call, which decides when its task ends. */
    enum Mode {
        /** Runs on the caller's thread; the task ends when the method returns. */
        SYNC,
        /** Returns a {@code CompletionStage}/{@code Future}; the task ends when that completes. */
        FUTURE,
        /** An {@code @Async} method returning a future: the task ends when the body has run on the executor. */
        ASYNC_FUTURE,
        /** An {@code @Async void} method: the task ends when the body has run on the executor. */
        ASYNC_VOID,
        /** Returns a reactive type known to Spring's {@code ReactiveAdapterRegistry}: one task per subscription. */
        REACTIVE,
        /**
         * Declares a return type that does not say ({@code Object}, a type variable): a {@code CompletionStage}
         * actually returned is followed like {@link #FUTURE}, anything else ends the task like {@link #SYNC}.
         */
        DYNAMIC;

        boolean isAsync() {
            return this == ASYNC_FUTURE || this == ASYNC_VOID;
        }
    }

    private final Method method;
    private final String name;
    private final DurationSetting timeout;
    private final DurationSetting interruptAfter;
    private final Mode mode;
    private final int[] tokenParameters;
    private final @Nullable Object reactiveAdapter;
    private final boolean quietWhenCancelled;
    private final boolean retryable;
    private volatile @Nullable OnCancelMethod onCancel;
    /** The spec of calls without a cleanup, for the defaults it was built with (built on first use). */
    private volatile @Nullable Template template;

    private record Template(CancellableDefaults defaults, TaskSpec spec) {
    }

    CancellableMethod(Method method, String name, DurationSetting timeout, DurationSetting interruptAfter, Mode mode,
            int[] tokenParameters, @Nullable Object reactiveAdapter, boolean quietWhenCancelled, boolean retryable) {
        this.method = method;
        this.name = name;
        this.timeout = timeout;
        this.interruptAfter = interruptAfter;
        this.mode = mode;
        this.tokenParameters = tokenParameters;
        this.reactiveAdapter = reactiveAdapter;
        this.quietWhenCancelled = quietWhenCancelled;
        this.retryable = retryable;
    }

    /**
     * Whether a call that stopped because of its cancellation returns normally instead of throwing: true for
     * {@code void @Scheduled} methods, whose scheduler would otherwise log the expected stop as an error (the
     * registry, the events and the metrics still record it).
     */
    boolean quietWhenCancelled() {
        return quietWhenCancelled;
    }

    Method method() {
        return method;
    }

    String name() {
        return name;
    }

    DurationSetting timeout() {
        return timeout;
    }

    DurationSetting interruptAfter() {
        return interruptAfter;
    }

    Mode mode() {
        return mode;
    }

    /**
     * The {@code org.springframework.core.ReactiveAdapter} of a {@link Mode#REACTIVE} method's return type (typed
     * {@code Object} so that this class loads without Reactor); {@code null} for other modes.
     */
    @Nullable Object reactiveAdapter() {
        return reactiveAdapter;
    }

    /**
     * Whether the method is Spring's {@code @Retryable}: each attempt then checks the token first, and a
     * cancellation ends the retry loop at once (see {@link TaskCall#attemptFailed}).
     */
    boolean retryable() {
        return retryable;
    }

    /**
     * Whether calls need the innermost advice ({@link CancellableAttachInterceptor}): {@code @Async} methods, whose
     * body runs on another thread, and {@code @Retryable} ones, whose attempts it sees. Other methods leave it out
     * of their proxy's chain.
     */
    boolean needsAttachAdvice() {
        return mode.isAsync() || retryable;
    }

    /** The method's {@code @OnCancel} cleanup, if it has one. */
    @Nullable OnCancelMethod onCancel() {
        return onCancel;
    }

    /** Set once at startup, when the bean's {@code @OnCancel} methods are matched to its tasks. */
    void onCancel(OnCancelMethod cleanup) {
        this.onCancel = cleanup;
    }

    /** Puts {@code token} into every {@code CancellationToken} parameter, whatever the caller passed. */
    void injectToken(Object[] arguments, CancellationToken token) {
        for (int index : tokenParameters) {
            arguments[index] = token;
        }
    }

    /**
     * The task to start for a call with these {@code arguments}: the array is kept, unchanged, for the
     * {@code @OnCancel} cleanup (the caller puts the task's token into it once the task exists). Without arguments
     * (the {@linkplain #template template} of calls without a cleanup) the task gets no cleanup.
     */
    TaskSpec spec(CancellationToken parent, CancellableDefaults defaults, @Nullable Object target,
            @Nullable Object proxy, Object @Nullable [] arguments) {
        Duration effectiveTimeout = timeout.orElse(defaults.timeout());
        if (effectiveTimeout != null && effectiveTimeout.isZero()) {
            effectiveTimeout = null;
        }
        Duration grace = defaults.interrupt() ? interruptAfter.orElse(defaults.interruptAfter()) : null;
        OnCancelMethod cleanup = onCancel;
        CleanupAction action = (cleanup == null || arguments == null) ? null
                : cleanup.action(target, proxy, arguments);
        return new TaskSpec(name, parent, effectiveTimeout, grace, defaults.abandonAfter(), action);
    }

    /**
     * The spec of every call of a method without {@code @OnCancel} cleanup (its parent is set per call with
     * {@code TaskRegistry.start(spec, parent)}): built once per defaults, so such a call creates no spec.
     */
    TaskSpec template(CancellableDefaults defaults) {
        Template current = template;
        if (current == null || current.defaults() != defaults) {
            current = new Template(defaults, spec(CancellationToken.none(), defaults, null, null, null));
            template = current;
        }
        return current.spec();
    }

    @Override
    public String toString() {
        return "@Cancellable " + name + " (" + MethodNames.describe(method) + ", " + mode + ")";
    }
}
