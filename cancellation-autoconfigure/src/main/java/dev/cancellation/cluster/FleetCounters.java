package dev.cancellation.cluster;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of fleet messages (requests and replies on the channels): sent, received, and failed (could not be sent,
 * or were received invalid, foreign or expired). Published as meters by {@link FleetMetrics}.
 *
 * <p>Thread-safety: safe from any thread.
 */
public final class FleetCounters {

    private final LongAdder sent = new LongAdder();

    private final LongAdder received = new LongAdder();

    private final LongAdder failed = new LongAdder();

    void sent() {
        sent.increment();
    }

    void received() {
        received.increment();
    }

    void failed() {
        failed.increment();
    }

    /** Messages sent. */
    public long sentCount() {
        return sent.sum();
    }

    /** Messages received (valid or not). */
    public long receivedCount() {
        return received.sum();
    }

    /** Messages that could not be sent, or were received invalid, foreign or expired. */
    public long failedCount() {
        return failed.sum();
    }
}
