package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.requestreply.RequestReplyFuture;
import org.springframework.kafka.requestreply.RequestReplyMessageFuture;
import org.springframework.messaging.Message;
import org.springframework.util.ReflectionUtils;

/**
 * Around {@code ReplyingKafkaTemplate.sendAndReceive(...)} called under a token: the wait for the reply follows
 * the token.
 * <ul>
 *   <li>a token already cancelled: nothing is sent, the {@link TaskCancelledException} is thrown;</li>
 *   <li>a token with a deadline: the call's reply timeout (its own argument, or the template's default) becomes
 *       the earlier of it and the budget left; when the budget runs out first, the returned future completes
 *       with a {@link TaskTimeoutException} (the template's own timeout, a little later, is only a backstop);</li>
 *   <li>a cancel of the token (an operator, a shutdown, a parent): the returned future completes at once with the
 *       {@link TaskCancelledException} and the pending correlation is released, so that a late reply is dropped
 *       as one that timed out;</li>
 *   <li>no token: the call is untouched.</li>
 * </ul>
 * spring-kafka has a per-call reply timeout ({@code sendAndReceive(record, Duration)}), which bounds the wait, but
 * no way to release one pending correlation: the template's map of pending replies is read here (a private field,
 * found once); should a spring-kafka version not have it, the correlation is released by the template's own
 * timeout, which is then bounded by the budget.
 *
 * <p>Thread-safety: stateless; called by any sending thread.
 */
final class BoundedReplyInterceptor implements MethodInterceptor {

    private static final Log logger = LogFactory.getLog(BoundedReplyInterceptor.class);

    /** How much later than the budget the template's own timeout fires, so that the token's timeout comes first. */
    static final Duration BACKSTOP = Duration.ofSeconds(1);

    /** The template's default reply timeout: a protected getter. */
    private static final @Nullable Method DEFAULT_REPLY_TIMEOUT = ReflectionUtils.findMethod(
            ReplyingKafkaTemplate.class, "getDefaultReplyTimeout");

    /** The template's pending replies by correlation: a private field, the only way to release one. */
    private static final @Nullable Field PENDING = pendingField();

    static {
        if (DEFAULT_REPLY_TIMEOUT != null) {
            ReflectionUtils.makeAccessible(DEFAULT_REPLY_TIMEOUT);
        }
        if (PENDING != null) {
            ReflectionUtils.makeAccessible(PENDING);
        } else {
            logger.debug("ReplyingKafkaTemplate has no map of pending replies: a cancelled request's correlation is "
                    + "released by the template's own timeout");
        }
    }

    @Override
    public @Nullable Object invoke(MethodInvocation call) throws Throwable {
        CancellationToken token = CancellationToken.current();
        Object[] arguments = call.getArguments();
        if (token.isNone() || !(call.getThis() instanceof ReplyingKafkaTemplate<?, ?, ?> template)
                || arguments.length == 0) {
            return call.proceed();
        }
        token.throwIfCancelled();
        Instant deadline = token.deadline().orElse(null);
        Object result;
        if (deadline == null) {
            result = call.proceed();
        } else {
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || left.isZero()) {
                throw new TaskTimeoutException(CancellationReason.deadlineExceeded(deadline),
                        "Kafka request/reply: the budget has run out, nothing sent");
            }
            result = sendWithTimeout(template, call, arguments, left.plus(BACKSTOP));
        }
        if (result instanceof CompletableFuture<?> future) {
            followToken(token, template, future);
        }
        return result;
    }

    /** Calls the overload with a reply timeout: the earlier of the call's own and {@code bound}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static @Nullable Object sendWithTimeout(ReplyingKafkaTemplate template, MethodInvocation call,
            Object[] arguments, Duration bound) throws Throwable {
        Class<?>[] parameters = call.getMethod().getParameterTypes();
        int timeoutAt = indexOf(parameters, Duration.class);
        Duration own = (timeoutAt >= 0) ? (Duration) arguments[timeoutAt] : null;
        if (own == null) {
            own = defaultReplyTimeout(template);
        }
        Duration timeout = (own != null && own.compareTo(bound) < 0) ? own : bound;
        if (timeoutAt >= 0) {
            arguments[timeoutAt] = timeout;
            return call.proceed();
        }
        Object first = arguments[0];
        if (first instanceof ProducerRecord<?, ?> record && parameters.length == 1) {
            return template.sendAndReceive((ProducerRecord) record, timeout);
        }
        if (first instanceof Message<?> message && parameters.length == 1) {
            return template.sendAndReceive(message, timeout);
        }
        if (first instanceof Message<?> message && parameters.length == 2) {
            return template.sendAndReceive(message, timeout, (ParameterizedTypeReference<?>) arguments[1]);
        }
        return call.proceed();
    }

    /** Completes {@code future} with the cancel, at once, and releases its correlation. */
    private static void followToken(CancellationToken token, ReplyingKafkaTemplate<?, ?, ?> template,
            CompletableFuture<?> future) {
        Registration registration = token.onCancel(reason -> {
            if (future.completeExceptionally(TaskCancelledException.of(reason, "Kafka request/reply"))) {
                release(template, future);
            }
        });
        future.whenComplete((reply, failure) -> registration.close());
    }

    /** Removes the pending reply behind {@code future} from the template, so a late reply finds none. */
    private static void release(ReplyingKafkaTemplate<?, ?, ?> template, CompletableFuture<?> future) {
        if (PENDING == null || !(ReflectionUtils.getField(PENDING, template) instanceof Map<?, ?> pending)) {
            return;
        }
        CompletableFuture<?> sent = sendFuture(future);
        pending.values().removeIf(waiting -> waiting == future
                || (sent != null && waiting instanceof RequestReplyFuture<?, ?, ?> inner
                        && inner.getSendFuture() == sent));
    }

    private static @Nullable CompletableFuture<?> sendFuture(CompletableFuture<?> future) {
        if (future instanceof RequestReplyFuture<?, ?, ?> reply) {
            return reply.getSendFuture();
        }
        if (future instanceof RequestReplyMessageFuture<?, ?> reply) {
            return reply.getSendFuture();
        }
        return null;
    }

    private static @Nullable Duration defaultReplyTimeout(ReplyingKafkaTemplate<?, ?, ?> template) {
        if (DEFAULT_REPLY_TIMEOUT == null) {
            return null;
        }
        return (Duration) ReflectionUtils.invokeMethod(DEFAULT_REPLY_TIMEOUT, template);
    }

    private static @Nullable Field pendingField() {
        Field field = ReflectionUtils.findField(ReplyingKafkaTemplate.class, "futures");
        return (field != null && Map.class.isAssignableFrom(field.getType())) ? field : null;
    }

    private static int indexOf(Class<?>[] parameters, Class<?> type) {
        for (int i = 0; i < parameters.length; i++) {
            if (parameters[i] == type) {
                return i;
            }
        }
        return -1;
    }
}
