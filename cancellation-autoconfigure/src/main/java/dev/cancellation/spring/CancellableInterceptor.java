package dev.cancellation.spring;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
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
 * <li>{@code CompletionStage}/{@code CompletableFuture}: when the returned stage completes; the future given to the
 * caller fails at once on cancel, and the method's own future is cancelled;</li>
 * <li>{@code @Async} methods: registered here, at submission (this advice runs outside {@code @Async}); the body
 * runs on the executor thread, which attaches to the task; a task cancelled while queued never runs;</li>
 * <li>{@code Mono}/{@code Flux}: one task per subscription (see {@link ReactorCancellableSupport}).</li>
 * </ul>
 *
 * <p>Thread-safety: stateless per call apart from the shared, thread-safe resolver and registry.
 */
public class CancellableInterceptor implements MethodInterceptor {

    private final CancellableMethodResolver resolver;
    private final Supplier<TaskRegistry> registry;
    private final CancellableDefaults defaults;

    CancellableInterceptor(CancellableMethodResolver resolver, Supplier<TaskRegistry> registry,
            CancellableDefaults defaults) {
        this.resolver = resolver;
        this.registry = registry;
        this.defaults = defaults;
    }

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        Object target = invocation.getThis();
        Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target)
                : invocation.getMethod().getDeclaringClass();
        CancellableMethod method = resolver.find(invocation.getMethod(), targetClass);
        if (method == null || !(invocation instanceof ProxyMethodInvocation proxied)) {
            return invocation.proceed();
        }
        return switch (method.mode()) {
            case SYNC -> invokeSync(proxied, method);
            case FUTURE -> invokeFuture(proxied, method);
            case ASYNC_FUTURE, ASYNC_VOID -> invokeAsync(proxied, method);
            case REACTIVE -> ReactorCancellableSupport.invoke(proxied, method, registry.get(), defaults);
        };
    }

    private TaskCall start(ProxyMethodInvocation invocation, CancellableMethod method, CompletableFuture<Object> result) {
        Object[] arguments = invocation.getArguments();
        TaskHandle handle;
        if (method.onCancel() == null) {
            // no cleanup to hand the arguments to: no copy of them and no per-call spec
            handle = registry.get().start(method.template(defaults), CancellationToken.current());
        } else {
            Object[] captured = arguments.clone();
            handle = registry.get().start(method.spec(CancellationToken.current(), defaults, invocation.getThis(),
                    invocation.getProxy(), captured));
            method.injectToken(captured, handle.token());
        }
        method.injectToken(arguments, handle.token());
        TaskCall call = new TaskCall(handle, method, result);
        if (method.mode().isAsync()) { // only the inner interceptor of @Async methods looks for it
            invocation.setUserAttribute(TaskCall.ATTRIBUTE, call);
        }
        return call;
    }

    private Object invokeSync(ProxyMethodInvocation invocation, CancellableMethod method) throws Throwable {
        TaskCall call = start(invocation, method, null);
        call.tryStart();
        Object result = null;
        Throwable failure = null;
        try (TaskHandle.Attachment ignored = call.handle().attach()) {
            result = invocation.proceed();
        } catch (Throwable ex) {
            failure = ex;
        }
        Throwable toThrow = call.exit(failure);
        if (toThrow instanceof TaskCancelledException && method.quietWhenCancelled()) {
            return null;
        }
        if (toThrow != null) {
            throw toThrow;
        }
        return result;
    }

    private Object invokeFuture(ProxyMethodInvocation invocation, CancellableMethod method) throws Throwable {
        TaskFuture result = new TaskFuture();
        TaskCall call = start(invocation, method, result);
        call.tryStart();
        result.task(call.handle());
        CancellationToken token = call.handle().token();
        AtomicReference<Future<?>> underlying = new AtomicReference<>();
        call.registration(token.onCancel(reason -> {
            // Stop the work first, so that a caller who sees the failure knows the work was told to stop.
            Future<?> work = underlying.get();
            if (work != null) {
                work.cancel(false);
            }
            result.completeExceptionally(TaskCancelledException.of(reason, method.name()));
        }));
        Object returned;
        try (TaskHandle.Attachment ignored = call.handle().attach()) {
            returned = invocation.proceed();
        } catch (Throwable ex) {
            throw call.exit(ex);
        }
        if (!(returned instanceof CompletionStage<?> stage)) {
            // null, or a Future whose completion cannot be observed: the task ends with the call
            call.exit(null);
            return returned;
        }
        if (stage instanceof Future<?> work) {
            underlying.set(work);
            if (token.isCancelled()) {
                work.cancel(false);
            }
        }
        stage.whenComplete((value, error) -> {
            Throwable failure = unwrap(error);
            if (failure instanceof CancellationException && !(failure instanceof TaskCancelledException)
                    && token.isCancelled()) {
                // we cancelled the method's future: that is the task stopping because of its cancellation
                TaskCancelledException cancelled = call.cancelledException();
                cancelled.initCause(failure);
                failure = cancelled;
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

    private Object invokeAsync(ProxyMethodInvocation invocation, CancellableMethod method) throws Throwable {
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
                work.cancel(false); // a queued FutureTask then never runs; a running body gets the grace first
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

        private volatile TaskHandle task;

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
