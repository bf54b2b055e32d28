package dev.cancellation.jms;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.messaging.ListenerInvocation;
import dev.cancellation.messaging.MessageDeadlineException;
import dev.cancellation.messaging.MessageDeadlines.Admission;
import dev.cancellation.task.TaskAttachment;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.Session;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.jms.listener.AbstractMessageListenerContainer;
import org.springframework.jms.listener.SessionAwareMessageListener;
import org.springframework.jms.listener.SubscriptionNameProvider;
import org.springframework.util.ErrorHandler;

/**
 * A container's message listener, wrapped so that each message runs as a listener invocation: a task named
 * {@code <listener id> <destination>} with the message id and delivery count as attributes, whose token is current
 * while the listener runs and is bounded by the message's deadline and the listener timeout.
 *
 * <p>What the container sees:
 * <ul>
 *   <li>the listener's own failures, unchanged: a transacted session rolls back and the broker redelivers;</li>
 *   <li>a cancel with reason {@code SHUTDOWN} (a stop of the containers, the application's shutdown): the
 *       {@link TaskCancelledException}, so the session rolls back and the message is redelivered;</li>
 *   <li>a message whose deadline has passed (the body does not run), a malformed deadline header, and, unless
 *       {@link JmsListenerSettings#redeliverCancelled()}, an invocation cancelled by an operator or a timeout: the
 *       message is <em>consumed</em> (the listener returns, the session commits) and the exception is handed to
 *       the container's {@link ErrorHandler} (logged when it has none). Rolling back would make the broker
 *       redeliver a message nobody waits for, up to its redelivery limit.</li>
 * </ul>
 *
 * <p>Thread-safety: immutable; called concurrently by the container's consumer threads.
 */
public final class CancellableMessageListener
        implements SessionAwareMessageListener<Message>, SubscriptionNameProvider {

    private static final Log logger = LogFactory.getLog(CancellableMessageListener.class);

    private final Object delegate;
    private final AbstractMessageListenerContainer container;
    private final String listenerId;
    private final String destination;
    private final String name;
    private final JmsListenerSettings settings;
    private final String deadlineProperty;

    private CancellableMessageListener(Object delegate, AbstractMessageListenerContainer container, String listenerId,
            String destination, JmsListenerSettings settings) {
        this.delegate = delegate;
        this.container = container;
        this.listenerId = listenerId;
        this.destination = destination;
        this.name = listenerId + " " + destination;
        this.settings = settings;
        this.deadlineProperty = settings.deadlineProperty();
    }

    /**
     * Wraps {@code container}'s message listener (once; a container without a listener is left alone). Call it
     * before the container starts.
     *
     * @param listenerId the listener's id (the endpoint id, or the container's bean name), part of the task names
     */
    public static void wrap(AbstractMessageListenerContainer container, String listenerId,
            JmsListenerSettings settings) {
        Object listener = container.getMessageListener();
        if (listener == null || listener instanceof CancellableMessageListener) {
            return;
        }
        String destination = Objects.requireNonNullElse(container.getDestinationName(),
                String.valueOf(container.getDestination()));
        container.setMessageListener(
                new CancellableMessageListener(listener, container, listenerId, destination, settings));
    }

    /** The listener this one wraps. */
    public Object getDelegate() {
        return delegate;
    }

    /** The name of this listener's invocation tasks: {@code <listener id> <destination>}. */
    public String taskName() {
        return name;
    }

    @Override
    public void onMessage(Message message, @Nullable Session session) throws JMSException {
        Admission admission;
        try {
            admission = settings.deadlines().admit(message.getObjectProperty(deadlineProperty),
                    destination);
        } catch (MessageDeadlineException ex) {
            consume(ex);
            return;
        }
        if (admission.expired()) {
            settings.invocations().recordExpired(listenerId);
            consume(new TaskTimeoutException(CancellationReason.deadlineExceeded(admission.deadline()),
                    name + ": message " + message.getJMSMessageID() + " arrived after its deadline"));
            return;
        }
        ListenerInvocation invocation = settings.invocations().open(name, attributes(message),
                admission.budget(settings.listenerTimeout()), null);
        Throwable failure = null;
        try (TaskAttachment attachment = invocation.attach()) {
            invoke(message, session);
        } catch (JMSException | RuntimeException | Error ex) {
            failure = ex;
        }
        Throwable outcome = invocation.exit(failure);
        if (outcome == null) {
            return;
        }
        if (outcome instanceof TaskCancelledException cancelled && !settings.redeliverCancelled()
                && cancelled.reason().kind() != CancellationReason.Kind.SHUTDOWN) {
            consume(cancelled);
            return;
        }
        throw rethrow(outcome);
    }

    @SuppressWarnings("unchecked")
    private void invoke(Message message, @Nullable Session session) throws JMSException {
        if (delegate instanceof SessionAwareMessageListener<?> aware) {
            ((SessionAwareMessageListener<Message>) aware).onMessage(message, session);
        } else {
            ((MessageListener) delegate).onMessage(message);
        }
    }

    private Map<String, String> attributes(Message message) throws JMSException {
        Map<String, String> attributes = new LinkedHashMap<>();
        String id = message.getJMSMessageID();
        if (id != null) {
            attributes.put("messageId", id);
        }
        if (message.propertyExists("JMSXDeliveryCount")) {
            attributes.put("deliveryCount", String.valueOf(message.getIntProperty("JMSXDeliveryCount")));
        }
        return attributes;
    }

    /** The message is consumed: the container's error handler gets {@code failure}, the session commits. */
    private void consume(RuntimeException failure) {
        ErrorHandler errorHandler = container.getErrorHandler();
        if (errorHandler != null) {
            errorHandler.handleError(failure);
        } else {
            logger.warn("Message consumed without being processed by JMS listener '" + listenerId
                    + "' (no ErrorHandler set): " + failure.getMessage());
        }
    }

    private static RuntimeException rethrow(Throwable outcome) throws JMSException {
        if (outcome instanceof JMSException jms) {
            throw jms;
        }
        if (outcome instanceof Error error) {
            throw error;
        }
        return (RuntimeException) outcome;
    }

    @Override
    public String getSubscriptionName() {
        return (delegate instanceof SubscriptionNameProvider provider) ? provider.getSubscriptionName()
                : delegate.getClass().getName();
    }

    @Override
    public String toString() {
        return "CancellableMessageListener[" + name + " -> " + delegate + "]";
    }
}
