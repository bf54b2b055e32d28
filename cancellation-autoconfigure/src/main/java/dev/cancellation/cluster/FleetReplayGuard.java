package dev.cancellation.cluster;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Remembers the ids of the requests this instance accepted until they expire, so that each request is carried out
 * once: a captured request published again (in its validity window) is refused. Memory is bounded: at most
 * {@code capacity} ids; when that many unexpired ids are remembered, further requests are refused (fail closed)
 * until some expire. Only requests whose MAC verified are remembered, so only a key holder can fill it.
 *
 * <p>Thread-safety: safe from any thread; the lock guards only in-memory work.
 */
final class FleetReplayGuard {

    private final int capacity;

    private final ReentrantLock lock = new ReentrantLock();

    /** Request id to the fleet time (ms) after which it is refused anyway; in arrival order. */
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();

    FleetReplayGuard(int capacity) {
        this.capacity = capacity;
    }

    /** The outcome of {@link #firstTime}. */
    enum Outcome {
        /** Never seen: carry it out. */
        FIRST,
        /** Seen before: a replay. */
        REPLAYED,
        /** The memory is full of unexpired ids: refused without being remembered. */
        FULL
    }

    /**
     * Records {@code requestId} as seen until {@code rememberUntil}.
     *
     * @param now the fleet's time (ms)
     */
    Outcome firstTime(String requestId, long rememberUntil, long now) {
        lock.lock();
        try {
            if (seen.containsKey(requestId)) {
                return Outcome.REPLAYED;
            }
            // mostly in expiry order: the head goes first, the full sweep only when the map is full
            Iterator<Map.Entry<String, Long>> head = seen.entrySet().iterator();
            while (head.hasNext() && head.next().getValue() < now) {
                head.remove();
            }
            if (seen.size() >= capacity) {
                seen.values().removeIf(until -> until < now);
                if (seen.size() >= capacity) {
                    return Outcome.FULL;
                }
            }
            seen.put(requestId, rememberUntil);
            return Outcome.FIRST;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return seen.size();
        } finally {
            lock.unlock();
        }
    }
}
