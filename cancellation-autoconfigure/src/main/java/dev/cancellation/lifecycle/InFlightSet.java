package dev.cancellation.lifecycle;

import dev.cancellation.CancellationToken;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Units of work in flight, each with a token: what a {@link ShutdownDrain} drains (HTTP requests, listener
 * invocations). It answers whether a task belongs to one of them and waits for them to end.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently; iteration is weakly consistent.
 *
 * @param <T> the unit of work
 */
public final class InFlightSet<T> {

    private final Set<T> open = ConcurrentHashMap.newKeySet();
    private final Function<T, CancellationToken> tokenOf;

    /** @param tokenOf a unit's token: the parent of the tasks started for it */
    public InFlightSet(Function<T, CancellationToken> tokenOf) {
        this.tokenOf = Objects.requireNonNull(tokenOf, "tokenOf");
    }

    /** Adds a unit that has started. */
    public void add(T unit) {
        open.add(unit);
    }

    /** Removes a unit that has ended. */
    public void remove(T unit) {
        open.remove(unit);
    }

    /** The units in flight (a live view). */
    public Iterable<T> units() {
        return open;
    }

    /** How many units are in flight. */
    public int size() {
        return open.size();
    }

    /** Whether a task with {@code taskToken} is one of the units' own or was started under one of them. */
    public boolean covers(CancellationToken taskToken) {
        for (T unit : open) {
            CancellationToken token = tokenOf.apply(unit);
            if (taskToken == token || taskToken.isDescendantOf(token)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until no unit that {@code matching} accepts is in flight, or {@code timeout} has passed.
     *
     * @param what the units, for the message of the {@link InterruptedException}
     * @return {@code true} if none is in flight any more
     */
    public boolean awaitNone(Predicate<? super T> matching, Duration timeout, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (open.stream().anyMatch(matching)) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return false;
            }
            LockSupport.parkNanos(this, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(5)));
            if (Thread.interrupted()) {
                throw new InterruptedException("Interrupted while waiting for " + what + " in flight");
            }
        }
        return true;
    }
}
