package dev.cancellation.cluster;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of fleet messages (requests and replies on the channels): sent, received, failed (could not be sent, or
 * were received invalid or foreign) and rejected (received, but refused for their origin or timing: a MAC that does
 * not verify, unsigned, replayed, outside the validity window, a cancel without a fleet key). Published as meters by
 * {@link FleetMetrics}.
 *
 * <p>Thread-safety: safe from any thread.
 */
public final class FleetCounters {

    private final LongAdder sent = new LongAdder();

    private final LongAdder received = new LongAdder();

    private final LongAdder failed = new LongAdder();

    private final LongAdder rejected = new LongAdder();

    void sent() {
        sent.increment();
    }

    void received() {
        received.increment();
    }

    void failed() {
        failed.increment();
    }

    void rejected() {
        rejected.increment();
    }

    /** Messages sent. */
    public long sentCount() {
        return sent.sum();
    }

    /** Messages received (valid or not). */
    public long receivedCount() {
        return received.sum();
    }

    /** Messages that could not be sent, or were received invalid or foreign. */
    public long failedCount() {
        return failed.sum();
    }

    /**
     * Messages received and refused for their origin or timing: unsigned or with a MAC that does not verify,
     * replayed, outside their validity window, or a cancel while this instance has no fleet key.
     */
    public long rejectedCount() {
        return rejected.sum();
    }
}
