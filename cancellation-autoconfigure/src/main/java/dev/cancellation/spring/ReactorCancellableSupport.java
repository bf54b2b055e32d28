package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import java.util.concurrent.atomic.AtomicBoolean;
import org.aopalliance.intercept.MethodInvocation;
import org.reactivestreams.Publisher;
import org.springframework.aop.ProxyMethodInvocation;
import org.springframework.core.KotlinDetector;
import org.springframework.core.ReactiveAdapter;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * Reactive support of {@link CancellableInterceptor}, for every type Spring's {@code ReactiveAdapterRegistry} adapts
 * ({@code Mono}, {@code Flux}, RxJava's {@code Flowable}/{@code Single}/..., JDK {@code Flow.Publisher}): the
 * method's value is adapted to a publisher, and the task's flux back to the declared type. Loaded only when
 * Reactor is present.
 *
 * <p>Every subscription is a task: at subscription the task starts (its parent is the token in the subscriber's
 * Reactor context under {@link CancellationTokenAccessor#KEY}, else the token current where the method was
 * called), the method itself is invoked with the task's token current and passed to its
 * {@code CancellationToken} parameter, and the token is put into the Reactor context of the returned publisher.
 * On cancel the subscription to the method's publisher is disposed and the subscriber gets the
 * {@code TaskCancelledException}; a subscriber that cancels cancels the task. The task ends when the publisher
 * terminates.
 *
 * <p>Kotlin {@code suspend} functions come here too: Spring's AOP turns each call into a {@code Mono} (a
 * {@code Flux} for a {@code Flow}) that runs the coroutine on subscription and cancels its job on dispose; the
 * token is made current in the coroutine by {@link CoroutineTokenPropagation}.
 *
 * <p>Thread-safety: stateless; the state of each subscription is confined to it.
 */
final class ReactorCancellableSupport {

    private ReactorCancellableSupport() {
    }

    static Object invoke(ProxyMethodInvocation invocation, CancellableMethod method, TaskRegistry registry,
            CancellableDefaults defaults) {
        ReactiveAdapter adapter = (ReactiveAdapter) method.reactiveAdapter();
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
            // suspending first: without Kotlin nothing loads the class, whose signatures name Kotlin types
            if (KotlinDetector.isSuspendingFunction(invocation.getMethod()) && CoroutineTokenPropagation.SUPPORTED) {
                CoroutineTokenPropagation.propagate(callArguments);
            }
            MethodInvocation clone = invocation.invocableClone(callArguments);
            TaskCall call = new TaskCall(handle, method, null);
            call.tryStart();
            ((ProxyMethodInvocation) clone).setUserAttribute(TaskCall.ATTRIBUTE, call);
            Publisher<?> source;
            try (TaskAttachment ignored = handle.attach()) {
                Object returned = clone.proceed();
                source = (returned == null) ? Flux.empty() : adapter.toPublisher(returned);
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
        // fromDirect: a single-value type must not cancel the task's flux after its one element
        return adapter.fromPublisher(adapter.isMultiValue() ? perSubscription : Mono.fromDirect(perSubscription));
    }
}
