package dev.cancellation.amqp;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.InterruptScope;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.amqp.rabbit.RabbitFuture;

/**
 * Around the request/reply calls of {@code RabbitTemplate} ({@code sendAndReceive}, {@code convertSendAndReceive},
 * {@code convertSendAndReceiveAsType}) and of {@code AsyncRabbitTemplate}, made under a token: the wait for the
 * reply follows the token. Without a current token the call is untouched; under a token already cancelled nothing
 * is sent and the {@link TaskCancelledException} is thrown.
 *
 * <p><b>{@code RabbitTemplate}</b> waits for the reply on the calling thread, for its {@code replyTimeout}, a
 * setting of the whole template: Spring AMQP has no per-call timeout and no way to release one pending reply, but
 * it ends the wait when the thread is interrupted. So the call runs in an {@link InterruptScope} of the token: when
 * the token is cancelled, by its deadline (the budget runs out) or otherwise, the waiting thread is interrupted,
 * the template cleans up (the pending reply is dropped, the temporary reply consumer cancelled) and the caller gets
 * the {@link TaskCancelledException} ({@code TaskTimeoutException} for the budget) instead of the template's
 * {@code AmqpException} or {@code null}. The interrupt is consumed when the call returns. A shorter
 * {@code replyTimeout} of the template still ends the wait with {@code null}, as before.
 *
 * <p><b>{@code AsyncRabbitTemplate}</b> returns a {@link RabbitFuture}: when the token is cancelled, the future
 * completes at once with the {@link TaskCancelledException} and is {@linkplain RabbitFuture#cancel cancelled},
 * which releases its pending correlation (a late reply is dropped). Its own {@code receiveTimeout} still applies.
 *
 * <p>Thread-safety: stateless; called by any sending thread.
 */
final class BoundedReplyAdvice implements MethodInterceptor {

    private static final String WHAT = "RabbitMQ request/reply";

    @Override
    public @Nullable Object invoke(MethodInvocation call) throws Throwable {
        CancellationToken token = CancellationToken.current();
        if (token.isNone()) {
            return call.proceed();
        }
        token.throwIfCancelled();
        if (RabbitFuture.class.isAssignableFrom(call.getMethod().getReturnType())) {
            Object result = call.proceed();
            if (result instanceof RabbitFuture<?> future) {
                followToken(token, future);
            }
            return result;
        }
        Object reply;
        try (InterruptScope scope = Cancellation.interruptOnCancel(token)) {
            try {
                reply = call.proceed();
            } catch (Throwable ex) {
                CancellationReason reason = token.reason().orElse(null);
                if (reason == null) {
                    throw ex;
                }
                TaskCancelledException cancelled = TaskCancelledException.of(reason, WHAT);
                cancelled.initCause(ex);
                throw cancelled;
            }
        }
        if (reply == null) {
            token.reason().ifPresent(reason -> {
                throw TaskCancelledException.of(reason, WHAT);
            });
        }
        return reply;
    }

    private static void followToken(CancellationToken token, RabbitFuture<?> future) {
        Registration registration = token.onCancel(reason -> {
            if (future.completeExceptionally(TaskCancelledException.of(reason, WHAT))) {
                future.cancel(false); // releases the pending correlation and the timeout
            }
        });
        future.whenComplete((reply, failure) -> registration.close());
    }
}
