package dev.cancellation.demo.orders;

import dev.cancellation.CancellationReason;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * What this instance did with each order event it received: steps done, how it ended, how often it was delivered.
 * In memory only: after a restart it starts empty, and an event redelivered by the broker shows up again with its
 * delivery count.
 *
 * <p>Thread-safety: each update replaces an immutable {@link Entry} atomically; readers see a consistent entry.
 */
@Component
public class OrderEventLog {

    /** How an event's processing stands. */
    public enum State {
        /** its steps are running */
        RUNNING,
        /** every step done: the event is processed */
        DONE,
        /** stopped by a cancel before its last step; see {@link Entry#cancelledBy()} */
        CANCELLED
    }

    /**
     * One order event as this instance saw it.
     *
     * @param orderId the event's order
     * @param state how it stands
     * @param stepsDone steps done in the last delivery (0 again after the cleanup undid them)
     * @param steps steps the event takes
     * @param deliveries deliveries this instance received
     * @param deliveryCount the broker's delivery count ({@code JMSXDeliveryCount}) of the last delivery
     * @param completions how often its processing ran to the end here (never more than 1)
     * @param cancelledBy the reason of the last cancel, if any ({@code SHUTDOWN}, {@code REQUESTED}, ...)
     * @param cleanedUp whether the {@code @OnCancel} cleanup undid the steps of the cancelled delivery
     */
    public record Entry(String orderId, State state, int stepsDone, int steps, int deliveries, int deliveryCount,
            int completions, @Nullable String cancelledBy, boolean cleanedUp) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** A delivery of the event arrived at the listener. */
    void received(String orderId, int steps, int deliveryCount) {
        entries.compute(orderId, (id, entry) -> new Entry(id, State.RUNNING, 0, steps,
                (entry == null) ? 1 : entry.deliveries() + 1, deliveryCount,
                (entry == null) ? 0 : entry.completions(), null, false));
    }

    void stepDone(String orderId, int step) {
        update(orderId, entry -> new Entry(entry.orderId(), entry.state(), step, entry.steps(), entry.deliveries(),
                entry.deliveryCount(), entry.completions(), entry.cancelledBy(), entry.cleanedUp()));
    }

    void done(String orderId) {
        update(orderId, entry -> new Entry(entry.orderId(), State.DONE, entry.stepsDone(), entry.steps(),
                entry.deliveries(), entry.deliveryCount(), entry.completions() + 1, null, false));
    }

    /** The cleanup undid the steps of a cancelled delivery; returns how many it undid. */
    int cancelled(String orderId, CancellationReason reason) {
        Entry before = entries.get(orderId);
        update(orderId, entry -> new Entry(entry.orderId(), State.CANCELLED, 0, entry.steps(), entry.deliveries(),
                entry.deliveryCount(), entry.completions(), reason.kind().name(), true));
        return (before == null) ? 0 : before.stepsDone();
    }

    /** The event, if this instance received it. */
    public @Nullable Entry get(String orderId) {
        return entries.get(orderId);
    }

    /** Every event this instance received, by order id. */
    public List<Entry> entries() {
        return entries.values().stream().sorted(java.util.Comparator.comparing(Entry::orderId)).toList();
    }

    private void update(String orderId, java.util.function.UnaryOperator<Entry> change) {
        entries.computeIfPresent(orderId, (id, entry) -> change.apply(entry));
    }
}
