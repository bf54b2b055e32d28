package dev.cancellation.web.servlet;

import dev.cancellation.CancellationToken;
import dev.cancellation.web.HandlerCoroutineLink;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import kotlin.Unit;
import kotlin.coroutines.CoroutineContext;
import kotlinx.coroutines.Dispatchers;
import org.reactivestreams.Publisher;
import org.springframework.core.CoroutinesUtils;
import org.springframework.core.KotlinDetector;
import org.springframework.core.PropagationContextElement;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.ServletInvocableHandlerMethod;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;

/**
 * Spring MVC's {@link RequestMappingHandlerAdapter}, but a Kotlin {@code suspend} handler method runs in a coroutine
 * context that keeps the request's token {@link dev.cancellation.CancellationToken#current() current} across its
 * suspensions and threads, with or without Reactor's automatic context propagation: an unconfined dispatcher with
 * Spring's {@link PropagationContextElement}, which is what Spring itself uses when that propagation is on. The
 * element restores the thread locals registered with Micrometer's context propagation (the token among them) at
 * every resumption, from the Reactor context in which Spring MVC subscribes to the handler's result (a snapshot of
 * the request thread's values, taken while {@link RequestCancellationFilter} has the token bound).
 *
 * <p>Without it, the coroutine starts on the request thread with the token current, and loses it at its first
 * suspension that resumes on another thread ({@code delay}, {@code withContext(Dispatchers.IO)}, an awaited call).
 * The context also has a {@link HandlerCoroutineLink}: cancelling the request's token (its deadline, an operator,
 * the client gone) cancels the handler's coroutine, and the request is answered with the cancellation's problem
 * detail.
 * Handler methods that do not suspend are invoked exactly as by Spring's adapter.
 *
 * <p>Installed through Boot's {@code WebMvcRegistrations}, unless the application has its own (then a
 * {@code suspend} handler can add {@code PropagationContextElement()} itself, or the application can turn on
 * Reactor's automatic context propagation). Loaded only where Kotlin's coroutines for Reactor and Micrometer's
 * context propagation are on the class path.
 *
 * <p>Thread-safety: as Spring's adapter; the handler methods it creates belong to one request each.
 */
public class CoroutineHandlerAdapter extends RequestMappingHandlerAdapter {

    @Override
    protected ServletInvocableHandlerMethod createInvocableHandlerMethod(HandlerMethod handlerMethod) {
        return KotlinDetector.isSuspendingFunction(handlerMethod.getMethod())
                ? new SuspendingHandlerMethod(handlerMethod) : super.createInvocableHandlerMethod(handlerMethod);
    }

    /** A suspending handler method invoked in the propagating coroutine context. */
    static final class SuspendingHandlerMethod extends ServletInvocableHandlerMethod {

        SuspendingHandlerMethod(HandlerMethod handlerMethod) {
            super(handlerMethod);
        }

        @Override
        protected Object invokeSuspendingFunction(Method method, Object target, Object[] args) {
            // A new element per call: it captures the request thread's values, its fallback without a Reactor context.
            // The link cancels the handler's coroutine with the request's token, current here on the request thread.
            CoroutineContext context = Dispatchers.getUnconfined().plus(new PropagationContextElement())
                    .plus(HandlerCoroutineLink.of(CancellationToken.current()));
            Publisher<?> result = CoroutinesUtils.invokeSuspendingFunction(context, method, target, args);
            return (result instanceof Mono<?> mono) ? mono.handle(SuspendingHandlerMethod::emit) : result;
        }

        /** Emits a result as Spring's own invocation does: a Kotlin value class unboxed, {@code Unit} as nothing. */
        private static void emit(Object result, SynchronousSink<Object> sink) {
            try {
                Object value = unbox(result);
                if (value != Unit.INSTANCE) {
                    sink.next(value);
                }
                sink.complete();
            } catch (ReflectiveOperationException ex) {
                sink.error((ex instanceof InvocationTargetException target) ? target.getTargetException() : ex);
            }
        }

        private static Object unbox(Object result) throws ReflectiveOperationException {
            Object value = result;
            while (KotlinDetector.isInlineClass(value.getClass())) {
                value = value.getClass().getDeclaredMethod("unbox-impl").invoke(value);
            }
            return value;
        }
    }
}
