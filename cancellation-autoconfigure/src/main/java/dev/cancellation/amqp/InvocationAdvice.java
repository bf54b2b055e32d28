package dev.cancellation.amqp;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.messaging.ListenerInvocation;
import dev.cancellation.messaging.MessageDeadlineException;
import dev.cancellation.messaging.MessageDeadlines;
import dev.cancellation.task.TaskAttachment;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.ImmediateRequeueAmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.support.ListenerExecutionFailedException;

/**
 * The advice around one container's listener calls ({@code invokeListener(Channel, Object)}, where the object is a
 * {@link Message} or, for a batch listener, a list of them): each call runs as a listener invocation (see
 * {@link RabbitListenerCancellation}). What the container sees when the invocation does not end normally:
 * <ul>
 *   <li>stopped by {@code SHUTDOWN}, or refused by a stopping container: a {@link ListenerExecutionFailedException}
 *       caused by an {@link ImmediateRequeueAmqpException}, so the message is requeued whatever
 *       {@code defaultRequeueRejected} says;</li>
 *   <li>expired, malformed deadline, stopped by a timeout or on request: one caused by an
 *       {@link AmqpRejectAndDontRequeueException}, itself caused by the {@link TaskTimeoutException},
 *       {@link TaskCancelledException} or {@link MessageDeadlineException}, so the message is rejected and not
 *       requeued (dead-lettered where the queue has a dead-letter exchange);</li>
 *   <li>any other failure of the listener: as it was.</li>
 * </ul>
 *
 * <p>Thread-safety: immutable; runs on the container's consumer threads, concurrently.
 */
final class InvocationAdvice implements MethodInterceptor {

    /** How long a container stop waits, past the drain period, for a cancelled invocation to end. */
    static final Duration CANCELLED_EXIT = Duration.ofSeconds(5);

    private final AbstractMessageListenerContainer container;
    private final RabbitListenerCancellation cancellation;

    InvocationAdvice(AbstractMessageListenerContainer container, RabbitListenerCancellation cancellation) {
        this.container = container;
        this.cancellation = cancellation;
    }

    @Override
    public @Nullable Object invoke(MethodInvocation call) throws Throwable {
        @Nullable Object[] arguments = call.getArguments();
        Object data = (arguments.length == 2) ? arguments[1] : null;
        List<Message> messages = messages(data);
        if (messages.isEmpty()) {
            return call.proceed();
        }
        Message first = messages.get(0);
        MessageProperties properties = first.getMessageProperties();
        String queue = Objects.requireNonNullElse(properties.getConsumerQueue(), "?");
        String listener = Objects.requireNonNullElse(container.getListenerId(), "?");
        String name = listener + " " + queue;
        if (!container.isActive()) {
            throw failed("Listener container " + listener + " is stopping: message requeued",
                    new ImmediateRequeueAmqpException("container stopping"), messages);
        }
        Duration budget = cancellation.listenerTimeout();
        if (messages.size() == 1) {
            budget = admit(first, queue, listener, name).budget(budget);
        }
        ListenerInvocation invocation = cancellation.invocations().open(name, attributes(messages, queue), budget,
                null);
        cancellation.stopWatch().watch(invocation, container);
        // an asynchronous result cancelled is rejected or requeued like a listener that stops with the cancel
        invocation.setCancelFailure(cancelled -> translate(cancelled, messages));
        Object result = null;
        Throwable failure = null;
        try (TaskAttachment attachment = invocation.attach()) {
            result = call.proceed();
        } catch (Throwable ex) {
            failure = ex;
        } finally {
            cancellation.stopWatch().unwatch(invocation);
        }
        Throwable toThrow = invocation.exit(failure);
        if (toThrow == null) {
            return result;
        }
        throw translate(toThrow, messages);
    }

    private MessageDeadlines.Admission admit(Message message, String queue, String listener, String name) {
        MessageDeadlines deadlines = cancellation.deadlines();
        MessageDeadlines.Admission admission;
        try {
            admission = deadlines.admit(message.getMessageProperties().getHeader(deadlines.header()), queue);
        } catch (MessageDeadlineException ex) {
            throw failed(ex.getMessage(), new AmqpRejectAndDontRequeueException(ex.getMessage(), ex), List.of(message));
        }
        if (admission.expired()) {
            cancellation.invocations().recordExpired(listener);
            Instant deadline = Objects.requireNonNull(admission.deadline());
            TaskTimeoutException expired = new TaskTimeoutException(CancellationReason.deadlineExceeded(deadline),
                    name + ": message arrived after its deadline, not processed");
            throw failed(expired.getMessage(), new AmqpRejectAndDontRequeueException(expired.getMessage(), expired),
                    List.of(message));
        }
        return admission;
    }

    /** What the container sees for an invocation that ended with {@code toThrow} (see the class comment). */
    private Throwable translate(Throwable toThrow, List<Message> messages) {
        if (!(toThrow instanceof TaskCancelledException cancelled)) {
            return toThrow;
        }
        CancellationReason.Kind kind = cancelled.reason().kind();
        String description = cancelled.getMessage();
        if (kind == CancellationReason.Kind.SHUTDOWN
                || (kind == CancellationReason.Kind.REQUESTED && cancellation.requeueCancelled())) {
            return failed(description + ": message requeued", new ImmediateRequeueAmqpException(description,
                    cancelled), messages);
        }
        return failed(description + ": message rejected", new AmqpRejectAndDontRequeueException(description,
                cancelled), messages);
    }

    private static ListenerExecutionFailedException failed(@Nullable String description, Throwable cause,
            List<Message> messages) {
        return new ListenerExecutionFailedException(Objects.requireNonNullElse(description, "listener cancelled"),
                cause, messages.toArray(new Message[0]));
    }

    @SuppressWarnings("unchecked")
    private static List<Message> messages(@Nullable Object data) {
        if (data instanceof Message message) {
            return List.of(message);
        }
        if (data instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof Message) {
            return (List<Message>) list;
        }
        return List.of();
    }

    /** What identifies the delivery: never the payload nor the routing key (free text chosen by senders). */
    private static Map<String, String> attributes(List<Message> messages, String queue) {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("queue", queue);
        if (messages.size() == 1) {
            MessageProperties properties = messages.get(0).getMessageProperties();
            if (properties.getMessageId() != null) {
                attributes.put("messageId", properties.getMessageId());
            }
            attributes.put("deliveryTag", Long.toString(properties.getDeliveryTag()));
            if (Boolean.TRUE.equals(properties.isRedelivered())) {
                attributes.put("redelivered", "true");
            }
        } else {
            attributes.put("messages", Integer.toString(messages.size()));
        }
        return attributes;
    }

    @Override
    public String toString() {
        return "RabbitMQ listener invocations of " + container.getListenerId();
    }
}
