package dev.cancellation.demo.orders;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Processes one order event in steps (reserve stock, charge, ship...), each a cancellable sleep here. Called by
 * {@link OrderEventListener} inside the listener invocation, so its task ({@code order-event}) is a child of the
 * invocation's: a stop of the listener containers, an operator's cancel or the message's deadline cancels it, and
 * its {@code @OnCancel} cleanup undoes the steps done, so that a redelivery starts from a clean slate.
 *
 * <p>Thread-safety: stateless but for the {@link OrderEventLog}, which is thread-safe.
 */
@Service
public class OrderEventProcessor {

    private static final Logger log = LoggerFactory.getLogger(OrderEventProcessor.class);

    private final OrderEventLog events;
    private final Duration stepDelay;

    public OrderEventProcessor(OrderEventLog events, OrdersProperties properties) {
        this.events = events;
        this.stepDelay = properties.stepDelay();
    }

    /**
     * Runs the event's {@code steps}; ends with a {@code TaskCancelledException} (from {@code Cancellation.sleep})
     * when the invocation is cancelled. Never interrupted: the thread is the listener container's.
     */
    @Cancellable(name = "order-event", interruptAfter = "never")
    public void process(String orderId, int steps) throws InterruptedException {
        for (int step = 1; step <= steps; step++) {
            Cancellation.sleep(stepDelay); // one step of the order's processing; wakes up at once on cancel
            events.stepDone(orderId, step);
        }
        events.done(orderId);
        log.info("{}: processed, {} steps", orderId, steps);
    }

    /** Runs after a cancelled event stopped: undoes its steps, so that a redelivery starts again from step 1. */
    @OnCancel("order-event")
    public void undoSteps(CancellationReason reason, String orderId) {
        int undone = events.cancelled(orderId, reason);
        log.info("{}: stopped ({}), undid {} step(s){}", orderId, reason.kind(), undone,
                (reason.kind() == CancellationReason.Kind.SHUTDOWN)
                        ? "; the broker redelivers it" : "; dead-lettered");
    }
}
