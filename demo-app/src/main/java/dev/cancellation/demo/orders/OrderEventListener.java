package dev.cancellation.demo.orders;

import jakarta.jms.JMSException;
import jakarta.jms.TextMessage;
import org.springframework.jms.annotation.JmsListener;
import org.springframework.stereotype.Component;

/**
 * The order-events worker: a {@code @JmsListener} on {@code demo.orders.queue}. With the starter, each message it
 * gets runs as a listener invocation, a task named {@code order-events orders.events} with the message id and
 * delivery count as attributes, whose token is current while this method runs and bounded by the message's
 * deadline. The body (its steps) is {@link OrderEventProcessor}'s.
 *
 * <p>A message whose deadline passed while it waited in the queue never reaches this method; what happens to it,
 * and to a message whose processing is cancelled, is {@link DeadLetterForwarder}'s.
 *
 * <p>Thread-safety: stateless; called by the container's consumer thread ({@code spring.jms.listener.*}).
 */
@Component
public class OrderEventListener {

    /** The message property an order event's step count travels in. */
    public static final String STEPS = "steps";

    private final OrderEventProcessor processor;
    private final OrderEventLog events;
    private final int defaultSteps;

    public OrderEventListener(OrderEventProcessor processor, OrderEventLog events, OrdersProperties properties) {
        this.processor = processor;
        this.events = events;
        this.defaultSteps = properties.steps();
    }

    @JmsListener(id = "order-events", destination = "${demo.orders.queue}")
    public void onEvent(TextMessage message) throws JMSException, InterruptedException {
        String orderId = message.getText();
        int steps = message.propertyExists(STEPS) ? message.getIntProperty(STEPS) : defaultSteps;
        int deliveryCount = message.propertyExists("JMSXDeliveryCount")
                ? message.getIntProperty("JMSXDeliveryCount") : 1;
        events.received(orderId, steps, deliveryCount);
        processor.process(orderId, steps);
    }
}
