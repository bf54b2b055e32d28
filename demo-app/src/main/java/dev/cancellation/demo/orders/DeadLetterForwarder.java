package dev.cancellation.demo.orders;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.messaging.MessageDeadlineException;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Queue;
import jakarta.jms.TextMessage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.util.ErrorHandler;

/**
 * The listener containers' {@code ErrorHandler}: where the starter hands a message it consumed without processing
 * it, and where this demo copies such a message to the dead-letter queue ({@code demo.orders.dead-letter-queue}):
 * <ul>
 *   <li>it arrived after its deadline ({@code TaskTimeoutException}, reason {@code TIMEOUT}: the listener never ran),
 *       or ran out of it mid-processing (the same, after the cleanup);</li>
 *   <li>an operator cancelled it ({@code REQUESTED});</li>
 *   <li>its deadline property was malformed ({@code MALFORMED_DEADLINE}).</li>
 * </ul>
 * A {@code SHUTDOWN} cancel is left alone: that message was rolled back and the broker redelivers it. Any other
 * failure of the listener was rolled back too; the broker redelivers it, and after its redelivery limit moves it to
 * the same dead-letter queue itself.
 *
 * <p>With {@code cancellation.jms.redeliver-cancelled=true} (not the demo's setting) operator cancels and
 * timeouts are rolled back for redelivery, and this handler would still copy them: it tells a rolled-back cancel
 * from a consumed one by the {@code SHUTDOWN} reason alone.
 *
 * <p>The copy carries the text, the reason and the original deadline under another name: with the deadline itself
 * it would be expired in the dead-letter queue too.
 *
 * <p>Thread-safety: called on the containers' consumer threads; {@link JmsTemplate} is thread-safe.
 */
public class DeadLetterForwarder implements ErrorHandler {

    /** The JMS property the starter writes a message's deadline to (docs/messaging-jms.md). */
    static final String DEADLINE_PROPERTY = "cancellation_deadline";

    private static final Logger log = LoggerFactory.getLogger(DeadLetterForwarder.class);

    private final JmsTemplate jmsTemplate;
    private final DeadLetters deadLetters;
    private final String deadLetterQueue;

    public DeadLetterForwarder(JmsTemplate jmsTemplate, DeadLetters deadLetters, String deadLetterQueue) {
        this.jmsTemplate = jmsTemplate;
        this.deadLetters = deadLetters;
        this.deadLetterQueue = deadLetterQueue;
    }

    @Override
    public void handleError(Throwable error) {
        if (stoppedForRedelivery(error)) {
            log.info("order event stopped by the shutdown, rolled back: the broker redelivers it");
            return;
        }
        String reason = deadLetterReason(error);
        Message message = InHandMessageContainerFactory.inHand();
        if (reason == null || message == null) {
            log.warn("order event failed, rolled back for redelivery: {}", error.toString());
            return;
        }
        try {
            if (fromDeadLetterQueue(message)) {
                // A message the broker moved here itself, whose deadline had passed: the listener never ran.
                deadLetters.record(message, reason, error.getMessage());
            } else {
                forward(message, reason, error.getMessage());
            }
        } catch (JMSException | RuntimeException ex) {
            log.error("could not dead-letter a message ({}): {}", reason, error.getMessage(), ex);
        }
    }

    private static boolean stoppedForRedelivery(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof TaskCancelledException cancelled) {
                return cancelled.reason().kind() == CancellationReason.Kind.SHUTDOWN;
            }
        }
        return false;
    }

    /** The reason to dead-letter for, or {@code null} when the message was rolled back for redelivery. */
    private static @Nullable String deadLetterReason(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof TaskCancelledException cancelled) {
                CancellationReason.Kind kind = cancelled.reason().kind();
                return (kind == CancellationReason.Kind.SHUTDOWN) ? null : kind.name();
            }
            if (cause instanceof MessageDeadlineException) {
                return "MALFORMED_DEADLINE";
            }
        }
        return null;
    }

    private boolean fromDeadLetterQueue(Message message) throws JMSException {
        Destination destination = message.getJMSDestination();
        return destination instanceof Queue queue && deadLetterQueue.equals(queue.getQueueName());
    }

    private void forward(Message message, String reason, @Nullable String detail) throws JMSException {
        String text = (message instanceof TextMessage textMessage) ? textMessage.getText() : message.toString();
        String messageId = message.getJMSMessageID();
        String deadline = message.getStringProperty(DEADLINE_PROPERTY);
        jmsTemplate.send(deadLetterQueue, session -> {
            TextMessage copy = session.createTextMessage(text);
            copy.setStringProperty(DeadLetters.REASON, reason);
            if (detail != null) {
                copy.setStringProperty(DeadLetters.DETAIL, detail);
            }
            if (messageId != null) {
                copy.setStringProperty(DeadLetters.ORIGINAL_MESSAGE_ID, messageId);
            }
            if (deadline != null) {
                copy.setStringProperty(DeadLetters.ORIGINAL_DEADLINE, deadline);
            }
            return copy;
        });
        log.info("{}: dead-lettered to {} ({})", text, deadLetterQueue, reason);
    }
}
