package dev.cancellation.demo.orders;

import dev.cancellation.Cancellation;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.springframework.format.annotation.DurationFormat;
import org.springframework.http.HttpStatus;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The order events' producer and what became of them:
 * <ul>
 *   <li>{@code POST /api/orders/events?count=N&deadline=300ms&steps=S} sends {@code N} order events (each taking
 *       {@code S} steps, {@code demo.orders.steps} by default) through Boot's {@link JmsTemplate}; with a
 *       {@code deadline}, they are sent under a token with that budget, so each message carries its absolute
 *       deadline (the starter writes it) and must be processed before it;</li>
 *   <li>{@code GET /api/orders/events}: what this instance's listener did with each event it received;</li>
 *   <li>{@code GET /api/orders/dead-letters}: what arrived in the dead-letter queue.</li>
 * </ul>
 */
@RestController
class OrderEventController {

    /**
     * One event sent.
     *
     * @param orderId its order (the message's text)
     * @param messageId the broker's message id, which the listener invocation's task shows as an attribute
     * @param steps steps it takes
     * @param deadline the deadline it carries, if sent with one
     */
    record SentEvent(String orderId, @Nullable String messageId, int steps, @Nullable Instant deadline) {
    }

    /** @param sent the events, in the order sent */
    record SentEvents(List<SentEvent> sent) {
    }

    /** Order ids of this start: {@code <4 hex digits>-<n>}, so that a redelivery after a restart is not confused with a new event. */
    private final String prefix = HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
    private final AtomicInteger sequence = new AtomicInteger();
    private final JmsTemplate jmsTemplate;
    private final OrderEventLog events;
    private final DeadLetters deadLetters;
    private final OrdersProperties properties;

    OrderEventController(JmsTemplate jmsTemplate, OrderEventLog events, DeadLetters deadLetters,
            OrdersProperties properties) {
        this.jmsTemplate = jmsTemplate;
        this.events = events;
        this.deadLetters = deadLetters;
        this.properties = properties;
    }

    @PostMapping("/api/orders/events")
    @ResponseStatus(HttpStatus.ACCEPTED)
    SentEvents send(@RequestParam(defaultValue = "1") int count,
            @RequestParam(required = false) @DurationFormat(style = DurationFormat.Style.SIMPLE) @Nullable Duration deadline,
            @RequestParam(required = false) @Nullable Integer steps) {
        if (count < 1 || count > 1000) {
            throw new IllegalArgumentException("count must be between 1 and 1000, was " + count);
        }
        int eventSteps = (steps != null) ? steps : properties.steps();
        if (eventSteps < 1) {
            throw new IllegalArgumentException("steps must be at least 1, was " + eventSteps);
        }
        if (deadline == null) {
            return new SentEvents(sendAll(count, eventSteps, null));
        }
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive, was " + deadline);
        }
        // Sent under a child of the request's token with the budget: JmsTemplate writes its absolute deadline into
        // each message (property cancellation_deadline, epoch milliseconds).
        Instant at = Instant.now().plus(deadline);
        return new SentEvents(Cancellation.withTimeout(deadline, token -> sendAll(count, eventSteps, at)));
    }

    @GetMapping("/api/orders/events")
    List<OrderEventLog.Entry> events() {
        return events.entries();
    }

    @GetMapping("/api/orders/dead-letters")
    List<DeadLetters.DeadLetter> deadLetters() {
        return deadLetters.letters();
    }

    private List<SentEvent> sendAll(int count, int steps, @Nullable Instant deadline) {
        List<SentEvent> sent = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String orderId = prefix + "-" + sequence.incrementAndGet();
            Message[] created = new Message[1];
            jmsTemplate.send(properties.queue(), session -> {
                Message message = session.createTextMessage(orderId);
                message.setIntProperty(OrderEventListener.STEPS, steps);
                created[0] = message;
                return message;
            });
            sent.add(new SentEvent(orderId, messageId(created[0]), steps, deadline));
        }
        return sent;
    }

    private static @Nullable String messageId(@Nullable Message message) {
        try {
            return (message == null) ? null : message.getJMSMessageID();
        } catch (JMSException ex) {
            return null;
        }
    }
}
