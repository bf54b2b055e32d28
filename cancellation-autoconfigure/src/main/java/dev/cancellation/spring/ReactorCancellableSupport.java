package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import org.aopalliance.intercept.MethodInvocation;
import org.reactivestreams.Publisher;
import org.springframework.aop.ProxyMethodInvocation;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * {@code Mono}/{@code Flux} support of {@link CancellableInterceptor}; loaded only when Reactor is present.
 *
 * <p>Every subscription is a task: at subscription the task starts (its parent is the token in the subscriber's
 * Reactor context under {@link CancellationTokenAccessor#KEY}, else the token current where the method was
 * called), the method itself is invoked with the task's token current and passed to its
 * {@code CancellationToken} parameter, and the token is put into the Reactor context of the returned publisher.
 * On cancel the subscription to the method's publisher is disposed and the subscriber gets the
 * {@code TaskCancelledException}; a subscriber that cancels cancels the task. The task ends when the publisher
 * terminates.
 */
final class ReactorCancellableSupport {

    private ReactorCancellableSupport() {
    }

    static Object invoke(ProxyMethodInvocation invocation, CancellableMethod method, TaskRegistry registry,
            CancellableDefaults defaults) {
        CancellationToken callSite = CancellationToken.current();
        Object[] arguments = invocation.getArguments().clone();
        Flux<Object> perSubscription = Flux.deferContextual(context -> {
            CancellationToken parent = context.<CancellationToken>getOrEmpty(CancellationTokenAccessor.KEY)
                    .orElse(callSite);
            Object[] callArguments = arguments.clone();
            Object[] captured = arguments.clone();
            TaskHandle handle = registry.start(method.spec(parent, defaults, invocation.getThis(),
                    invocation.getProxy(), captured));
            CancellationToken token = handle.token();
            method.injectToken(captured, token);
            method.injectToken(callArguments, token);
            MethodInvocation clone = invocation.invocableClone(callArguments);
            TaskCall call = new TaskCall(handle, method, null);
            call.tryStart();
            ((ProxyMethodInvocation) clone).setUserAttribute(TaskCall.ATTRIBUTE, call);
            Publisher<?> source;
            try (TaskHandle.Attachment ignored = handle.attach()) {
                Object returned = clone.proceed();
                source = (returned == null) ? Flux.empty() : (Publisher<?>) returned;
            } catch (Throwable ex) {
                return Flux.error(call.exit(ex));
            }
            AtomicBoolean completed = new AtomicBoolean();
            Mono<CancellationReason> cancelled = Mono.create(sink -> {
                Registration registration = token.onCancel(sink::success);
                sink.onDispose(registration::close);
            });
            return Flux.<Object>from(source)
                    .doOnComplete(() -> completed.set(true))
                    .takeUntilOther(cancelled)
                    .concatWith(Mono.defer(() -> (!completed.get() && token.isCancelled())
                            ? Mono.error(call.cancelledException()) : Mono.empty()))
                    .contextWrite(c -> c.put(CancellationTokenAccessor.KEY, token))
                    .onErrorMap(error -> call.exit(error))
                    .doOnComplete(() -> call.exit(null))
                    .doFinally(signal -> {
                        // after the cancel reached the source, so the cancel trigger finds nobody to signal
                        if (signal == SignalType.CANCEL) {
                            handle.cancel(CancellationReason.requested("the subscriber cancelled", "subscriber"));
                            call.exit(call.cancelledException());
                        }
                    });
        });
        return method.returnsMono() ? Mono.fromDirect(perSubscription) : perSubscription;
    }
}
