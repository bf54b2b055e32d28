package dev.cancellation.demo.orders;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the order events, bound from {@code demo.orders.*}.
 *
 * @param queue the queue the order events are sent to and consumed from
 * @param deadLetterQueue where events that will not be processed end: those that arrived after their deadline,
 *     ran out of it, or were cancelled by an operator (copied there by {@link DeadLetterForwarder}), and those the
 *     broker gave up redelivering ({@code DLQ}, the dead-letter address Boot's embedded Artemis configures)
 * @param steps steps of an event whose message names no number
 * @param stepDelay simulated time of one step (a cancellable sleep)
 */
@ConfigurationProperties("demo.orders")
public record OrdersProperties(@DefaultValue("orders.events") String queue,
        @DefaultValue("DLQ") String deadLetterQueue, @DefaultValue("20") int steps,
        @DefaultValue("500ms") Duration stepDelay) {
}
