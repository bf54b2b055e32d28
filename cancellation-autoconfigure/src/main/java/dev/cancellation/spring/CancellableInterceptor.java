package dev.cancellation.spring;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.aop.support.AopUtils;

/**
 * The advice of {@code @Cancellable} methods: runs each call as a task of the {@link TaskRegistry}.
 *
 * <p>Per call it starts a task whose token is a child of the token current at the call site (so nested calls form
 * a tree), with the method's timeout and interrupt grace; puts the task's token into every
 * {@code CancellationToken} parameter; binds it as {@link CancellationToken#current()}; and ends the task when the
 * work ends, translating an exit caused by the cancellation into a {@link TaskCancelledException} (a
 * {@code TaskTimeoutException} for a timeout). When the work ends depends on the return type:
 * <ul>
 * <li>plain values and {@code void}: when the method returns, on the caller's thread;</li>
 * <li>{@code CompletionStage}/{@code CompletableFuture} (also when the declared type is {@code Object} or a type
 * variable and the method returns one): when the returned stage completes; the future given to the caller fails at
 * once on cancel, the method's own future is cancelled if it can be, and the task ends then;</li>
 * <li>{@code @Async} methods: registered here, at submission (this advice runs outside {@code @Async}); the body
 * runs on the executor thread, which attaches to the task; a task cancelled while queued never runs;</li>
 * <li>reactive types Spring's {@code ReactiveAdapterRegistry} knows ({@code Mono}, {@code Flux}, RxJava, ...): one
 * task per subscription (see {@link ReactorCancellableSupport}).</li>
 * </ul>
 *
 * <p>Thread-safety: stateless per call apart from the shared, thread-safe resolver and registry.
 */
public class CancellableInterceptor implements MethodInterceptor {

    private static final org.apache.commons.logging.Log LOGGER =
            org.apache.commons.logging.LogFactory.getLog(CancellableInterceptor.class);

    private final CancellableMethodResolver resolver;
    private final Supplier<TaskRegistry> registry;
    private final CancellableDefaults defaults;
    private final @Nullable Class<?> ownerClass;

    CancellableInterceptor(CancellableMethodResolver resolver, Supplier<TaskRegistry> registry,
            CancellableDefaults defaults) {
        this(resolver, registry, defaults, null);
    }

    /**
     * @param ownerClass the class whose {@code @Cancellable} methods this advice runs, whatever the target: the
     *     JDK proxy class of an interface bean, whose target (a Spring Data repository's {@code SimpleJpaRepository},
     *     none for an HTTP interface client) does not carry the annotations; {@code null} for the target's class
     */
    CancellableInterceptor(CancellableMethodResolver resolver, Supplier<TaskRegistry> registry,
            CancellableDefaults defaults, @Nullable Class<?> ownerClass) {
        this.resolver = resolver;
        this.registry = registry;
        this.defaults = defaults;
        this.ownerClass = ownerClass;
    }

    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Class<?> targetClass = (ownerClass != null) ? ownerClass : (target != null) ? AopUtils.getTargetClass(target)
                : invocation.getMethod().getDeclaringClass();
        CancellableMethod method = resolver.find(invocation.getMethod(), targetClass);
        if (method == null || !(invocation instanceof ProxyMethodInvocation proxied)) {
            return invocation.proceed();
        }
        return switch (method.mode()) {
            case SYNC -> invokeSync(proxied, method);
            case FUTURE, DYNAMIC -> invokeFuture(proxied, method);
            case ASYNC_FUTURE, ASYNC_VOID -> invokeAsync(proxied, method);
            case REACTIVE -> ReactorCancellableSupport.invoke(proxied, method, registry.get(), defaults);
        };
    }

    /**
     * A copy of the call's arguments for its {@code @OnCancel} cleanup; {@code null} when it has none: then there is
     * nothing to hand the arguments to, so no copy and no per-call spec.
     */
    private static Object @Nullable [] captureArguments(CancellableMethod method, Object[] arguments) {
        return (method.onCancel() == null) ? null : arguments.clone();
    }

    /** The call's task spec (a child of the current token): the method's template unless it has a cleanup. */
    private TaskSpec spec(ProxyMethodInvocation invocation, CancellableMethod method, Object @Nullable [] captured) {
        return (captured == null) ? method.template(defaults) : method.spec(CancellationToken.current(), defaults,
                invocation.getThis(), invocation.getProxy(), captured);
    }

    /** Puts the task's token into the call's {@code CancellationToken} parameters, and into the cleanup's copy. */
    private static void injectToken(CancellableMethod method, Object[] arguments, Object @Nullable [] captured,
            CancellationToken token) {
        method.injectToken(arguments, token);
        if (captured != null) {
            method.injectToken(captured, token);
        }
    }

    private TaskCall start(ProxyMethodInvocation invocation, CancellableMethod method,
            @Nullable CompletableFuture<Object> result) {
        Object[] arguments = invocation.getArguments();
        Object[] captured = captureArguments(method, arguments);
        TaskHandle handle = registry.get().start(spec(invocation, method, captured), CancellationToken.current());
        injectToken(method, arguments, captured, handle.token());
        TaskCall call = new TaskCall(handle, method, result);
        if (method.needsAttachAdvice()) { // only then is the inner interceptor in the chain
            invocation.setUserAttribute(TaskCall.ATTRIBUTE, call);
        }
        return call;
    }

    private @Nullable Object invokeSync(ProxyMethodInvocation invocation, CancellableMethod method) throws Throwable {
        if (method.retryable()) {
            return invokeSyncRetryable(invocation, method);
        }
        // The registry's begin/end: the body runs on this thread, so the task needs no per-call handle unless
        // somebody observes it.
        TaskRegistry tasks = registry.get();
        Object[] arguments = invocation.getArguments();
        Object[] captured = captureArguments(method, arguments);
        CancellationToken token = tasks.begin(spec(invocation, method, captured)); // a child of the current token
        injectToken(method, arguments, captured, token);
        Object result = null;
        Throwable failure = null;
        try {
            result = invocation.proceed();
        } catch (Throwable ex) {
            failure = ex;
        }
        Throwable toThrow = tasks.end(token, failure);
        if (toThrow instanceof TaskCancelledException && method.quietWhenCancelled()) {
            return null;
        }
        if (toThrow != null) {
            throw toThrow;
        }
        return result;
    }

    private @Nullable Object invokeSyncRetryable(ProxyMethodInvocation invocation, CancellableMethod method)
            throws Throwable {
        TaskCall call = start(invocation, method, null);
        call.tryStart();
        Object result = null;
        Throwable failure = null;
        try (TaskAttachment ignored = call.handle().attach()) {
            result = invocation.proceed();
        } catch (Throwable ex) {
            failure = ex;
        }
        failure = endRetries(call, failure);
        Throwable toThrow = call.exit(failure);
        if (toThrow instanceof TaskCancelledException && method.quietWhenCancelled()) {
            return null;
        }
        if (toThrow != null) {
            throw toThrow;
        }
        return result;
    }

    /**
     * For {@code @Retryable} methods: consumes the interrupt that ended the retries, and reports the call's
     * failure as the cancellation it was.
     */
    private static @Nullable Throwable endRetries(TaskCall call, @Nullable Throwable failure) {
        if (call.consumeRetryInterrupt() && failure != null
                && !(failure instanceof TaskCancelledException)) {
            return call.cancelledException(failure);
        }
        return failure;
    }

    /**
     * A method returning a {@code CompletionStage} (or, for {@link CancellableMethod.Mode#DYNAMIC}, one that
     * might): the task follows the returned stage. Without a stage, it ends with the call like a plain method.
     */
    private @Nullable Object invokeFuture(ProxyMethodInvocation invocation, CancellableMethod method) throws Throwable {
        TaskCall call = start(invocation, method, null);
        call.tryStart();
        Object returned = null;
        Throwable failure = null;
        try (TaskAttachment ignored = call.handle().attach()) {
            returned = invocation.proceed();
        } catch (Throwable ex) {
            failure = ex;
        }
        failure = endRetries(call, failure);
        if (failure != null || !(returned instanceof CompletionStage<?> stage)) {
            // a failure, null, a plain value, or a Future whose completion cannot be observed: ends with the call
            Throwable toThrow = call.exit(failure);
            if (toThrow != null) {
                throw toThrow;
            }
            return returned;
        }
        return follow(call, method, stage);
    }

    /**
     * Gives the caller a future that completes with {@code stage}, or fails with the task's
     * {@code TaskCancelledException} as soon as the task is cancelled, whatever the stage does: a stage that
     * cannot be cancelled ({@code minimalCompletionStage()}, a third-party stage whose {@code cancel} throws) or
     * that ignores it is no longer waited for, and the task ends at the cancellation.
     */
    private static Object follow(TaskCall call, CancellableMethod method, CompletionStage<?> stage) {
        TaskFuture result = new TaskFuture();
        result.task(call.handle());
        CancellationToken token = call.handle().token();
        call.registration(token.onCancel(reason -> {
            // Stop the work first, so that a caller who sees the failure knows the work was told to stop.
            if (stage instanceof Future<?> work) {
                try {
                    work.cancel(false);
                } catch (RuntimeException | LinkageError cannotCancel) {
                    LOGGER.debug("The stage returned by " + method + " could not be cancelled", cannotCancel);
                }
            }
            TaskCancelledException cancelled = TaskCancelledException.of(reason, method.name());
            result.completeExceptionally(cancelled);
            call.exit(cancelled); // no-op if cancelling the stage completed it and so ended the task already
        }));
        stage.whenComplete((value, error) -> {
            Throwable failure = (error != null) ? unwrap(error) : null;
            if (failure instanceof CancellationException && !(failure instanceof TaskCancelledException)
                    && token.isCancelled()) {
                // we cancelled the method's future: that is the task stopping because of its cancellation
                failure = call.cancelledException(failure);
            }
            Throwable toThrow = call.exit(failure);
            if (toThrow == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(toThrow);
            }
        });
        return result;
    }

    private @Nullable Object invokeAsync(ProxyMethodInvocation invocation, CancellableMethod method) throws Throwable {
        boolean returnsFuture = method.mode() == CancellableMethod.Mode.ASYNC_FUTURE;
        TaskFuture result = returnsFuture ? new TaskFuture() : null;
        TaskCall call = start(invocation, method, result);
        CancellationToken token = call.handle().token();
        AtomicReference<Future<?>> underlying = new AtomicReference<>();
        if (result != null) {
            result.task(call.handle());
        }
        Registration registration = token.onCancel(reason -> {
            TaskCancelledException cancelled = TaskCancelledException.of(reason, method.name());
            if (result != null) {
                result.completeExceptionally(cancelled); // first: cancelling the work below completes it too
            }
            Future<?> work = underlying.get();
            if (work != null) {
                try {
                    work.cancel(false); // a queued FutureTask then never runs; a running body gets the grace first
                } catch (RuntimeException | LinkageError cannotCancel) {
                    LOGGER.debug("The future returned by " + method + " could not be cancelled", cannotCancel);
                }
            }
            if (call.trySkip()) {
                call.exit(cancelled); // cancelled while queued: the body will not run, the task ends now
            }
        });
        call.registration(registration);
        if (call.isSkipped()) {
            return result; // the parent was already cancelled: do not even submit
        }
        Object returned;
        // The token is current while @Async submits, so context propagation carries it to the executor thread.
        try (Cancellation.Scope ignored = Cancellation.enter(token)) {
            returned = invocation.proceed();
        } catch (Throwable ex) {
            if (call.trySkip()) {
                throw call.exit(ex); // not submitted (e.g. the executor rejected it)
            }
            throw ex;
        }
        if (result == null) {
            return returned;
        }
        if (returned instanceof Future<?> work) {
            underlying.set(work);
            if (token.isCancelled()) {
                work.cancel(false);
            }
        }
        if (returned instanceof CompletionStage<?> stage) {
            // Normally the inner interceptor completes the result; this catches failures around the body.
            stage.whenComplete((value, error) -> {
                if (error != null) {
                    result.completeExceptionally(unwrap(error));
                } else {
                    result.complete(value);
                }
            });
        }
        return result;
    }

    static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /**
     * The future handed to callers of future-returning {@code @Cancellable} methods: cancelling it cancels the
     * task (reason {@code REQUESTED}); it fails with the task's {@code TaskCancelledException} when the task is
     * cancelled, even if the work under it is stuck.
     */
    static final class TaskFuture extends CompletableFuture<Object> {

        private volatile @Nullable TaskHandle task;

        void task(TaskHandle handle) {
            this.task = handle;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            TaskHandle handle = task;
            if (handle != null && !isDone()) {
                // completes this future with the task's TaskCancelledException (a CancellationException)
                handle.cancel(CancellationReason.requested("the returned future was cancelled", "caller"));
            }
            return super.cancel(mayInterruptIfRunning) || isCancelled();
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>(); // dependents must not cancel the task
        }
    }
}
