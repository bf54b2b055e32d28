package dev.cancellation.messaging;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.lifecycle.InFlightSet;
import dev.cancellation.lifecycle.ShutdownDrain;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The listener invocations of one messaging technology in flight, each a task in the {@link TaskRegistry}; the
 * {@link ShutdownDrain} that gives them {@link #period()} to finish at shutdown before they are cancelled with
 * {@code SHUTDOWN}. A container stop or a rebalance cancels some of them ({@link #cancelWhere}).
 *
 * <p>Invocation tasks are never interrupted by the registry's escalation: their threads belong to the container
 * (a Kafka consumer thread that is interrupted fails its next poll). They stop cooperatively, through the token and
 * the edges (SQL, HTTP) it reaches.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently.
 */
public final class ListenerInvocations implements ShutdownDrain {

    private final String description;
    private final TaskRegistry registry;
    private final Duration drainPeriod;
    private final InFlightSet<ListenerInvocation> open = new InFlightSet<>(ListenerInvocation::token);
    private final Map<String, LongAdder> expired = new ConcurrentHashMap<>();

    /**
     * @param description what the invocations are, for the shutdown log (e.g. {@code Kafka listeners})
     * @param registry where invocations are registered
     * @param drainPeriod how long invocations in flight may finish at shutdown before they are cancelled; the
     *     property's name is in the error when it is negative
     */
    public ListenerInvocations(String description, TaskRegistry registry, Duration drainPeriod) {
        Objects.requireNonNull(drainPeriod, "drainPeriod");
        if (drainPeriod.isNegative()) {
            throw new IllegalArgumentException("The shutdown drain of " + description + " must not be negative, "
                    + "but was " + drainPeriod);
        }
        this.description = description;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.drainPeriod = drainPeriod;
    }

    /**
     * Starts an invocation: a task named {@code name} (the listener id and destination, never keys or offsets, so
     * that names stay a bounded set), with {@code attributes}, under {@code parent}, cancelled when {@code budget}
     * runs out. The caller {@linkplain ListenerInvocation#attach() attaches} the listener's thread and
     * {@linkplain ListenerInvocation#exit exits} it when the body's result is known.
     *
     * @param budget the invocation's budget (see {@link MessageDeadlines.Admission#budget}); {@code null} for none
     * @param parent the token the invocation is a child of; {@code null} for none
     */
    public ListenerInvocation open(String name, Map<String, String> attributes, @Nullable Duration budget,
            @Nullable CancellationToken parent) {
        TaskSpec spec = new TaskSpec(name, parent, budget, null, null, null, attributes);
        ListenerInvocation invocation = new ListenerInvocation(registry.start(spec), open::remove);
        open.add(invocation);
        return invocation;
    }

    /** Cancels the invocations in flight whose attributes match, with {@code reason}; returns how many it did. */
    public int cancelWhere(Predicate<Map<String, String>> attributes, CancellationReason reason) {
        int cancelled = 0;
        for (ListenerInvocation invocation : open.units()) {
            if (attributes.test(invocation.attributes()) && invocation.task().cancel(reason)) {
                cancelled++;
            }
        }
        return cancelled;
    }

    /**
     * Waits until no invocation whose attributes match is in flight, or {@code timeout} has passed.
     *
     * @return {@code true} if none is in flight any more
     */
    public boolean awaitIdleWhere(Predicate<Map<String, String>> attributes, Duration timeout)
            throws InterruptedException {
        return open.awaitNone(invocation -> attributes.test(invocation.attributes()), timeout, description);
    }

    /** Counts a message that arrived after its deadline, for {@code listener}; the body did not run. */
    public void recordExpired(String listener) {
        expired.computeIfAbsent(listener, key -> new LongAdder()).increment();
    }

    /** How many messages for {@code listener} arrived after their deadline. */
    public long expiredCount(String listener) {
        LongAdder count = expired.get(listener);
        return (count == null) ? 0 : count.sum();
    }

    /** The listeners that had expired messages. */
    public Set<String> listenersWithExpiredMessages() {
        return Set.copyOf(expired.keySet());
    }

    /** How many invocations are in flight. */
    public int size() {
        return open.size();
    }

    @Override
    public Duration period() {
        return drainPeriod;
    }

    @Override
    public boolean covers(CancellationToken taskToken) {
        return open.covers(taskToken);
    }

    @Override
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return open.awaitNone(invocation -> true, timeout, description);
    }

    @Override
    public int cancelRemaining(CancellationReason reason) {
        return cancelWhere(attributes -> true, reason);
    }

    @Override
    public String toString() {
        return description;
    }
}
