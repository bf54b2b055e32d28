package dev.cancellation.demo.orders;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jms.annotation.JmsListener;
import org.springframework.stereotype.Component;

/**
 * The dead-letter queue's consumer: records every order event that arrives there ({@code GET
 * /api/orders/dead-letters}), with why it was dead-lettered. Two kinds arrive: copies made by
 * {@link DeadLetterForwarder} (property {@value #REASON}: {@code TIMEOUT}, {@code REQUESTED}, ...) and messages the
 * broker moved there itself after its redelivery limit (no such property: {@code MAX_DELIVERIES}).
 *
 * <p>Thread-safety: the records are a concurrent list.
 */
@Component
public class DeadLetters {

    /** Why the message was dead-lettered: the cancel's reason kind, or {@code MALFORMED_DEADLINE}. */
    public static final String REASON = "dlq_reason";

    /** The exception's message: what the starter said about the message. */
    public static final String DETAIL = "dlq_detail";

    /** The deadline the message carried, in epoch milliseconds. */
    public static final String ORIGINAL_DEADLINE = "dlq_original_deadline";

    /** The dead-lettered message's id. */
    public static final String ORIGINAL_MESSAGE_ID = "dlq_original_message_id";

    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);

    /**
     * One dead letter.
     *
     * @param orderId the event's order (the message's text)
     * @param reason why it was dead-lettered
     * @param detail what the starter or the broker said about it
     * @param messageId the original message's id
     * @param deadline the deadline the original message carried, if any
     * @param arrivedAt when it arrived in the dead-letter queue
     */
    public record DeadLetter(String orderId, String reason, @Nullable String detail, @Nullable String messageId,
            @Nullable Instant deadline, Instant arrivedAt) {
    }

    private final List<DeadLetter> letters = new CopyOnWriteArrayList<>();

    @JmsListener(id = "dead-letters", destination = "${demo.orders.dead-letter-queue}")
    public void onDeadLetter(Message message) throws JMSException {
        record(message, null, null);
    }

    /**
     * Records {@code message}: with its own {@value #REASON} unless {@code reason} is given (a dead letter whose
     * copy never reached the listener, see {@link DeadLetterForwarder}).
     */
    void record(Message message, @Nullable String reason, @Nullable String detail) throws JMSException {
        String orderId = (message instanceof TextMessage text) ? text.getText() : message.getJMSMessageID();
        String why = (reason != null) ? reason
                : message.propertyExists(REASON) ? message.getStringProperty(REASON) : "MAX_DELIVERIES";
        String what = (detail != null) ? detail
                : message.propertyExists(DETAIL) ? message.getStringProperty(DETAIL) : null;
        String messageId = message.propertyExists(ORIGINAL_MESSAGE_ID)
                ? message.getStringProperty(ORIGINAL_MESSAGE_ID) : message.getJMSMessageID();
        String deadline = message.propertyExists(ORIGINAL_DEADLINE)
                ? message.getStringProperty(ORIGINAL_DEADLINE)
                : message.getStringProperty(DeadLetterForwarder.DEADLINE_PROPERTY);
        DeadLetter letter = new DeadLetter(orderId, why, what, messageId, parse(deadline), Instant.now());
        letters.add(letter);
        log.info("dead letter: {} ({}) {}", orderId, why, (what != null) ? what : "");
    }

    /** The dead letters received so far, oldest first. */
    public List<DeadLetter> letters() {
        return List.copyOf(letters);
    }

    private static @Nullable Instant parse(@Nullable String epochMillis) {
        try {
            return (epochMillis == null) ? null : Instant.ofEpochMilli(Long.parseLong(epochMillis.trim()));
        } catch (NumberFormatException malformed) {
            return null;
        }
    }
}
