package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.messaging.ListenerInvocations;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;

/**
 * When partitions are revoked or lost, cancels the listener invocations of their records (and of batches with
 * records of them) still in flight (with
 * reason {@code SHUTDOWN}: their records are redelivered to the partition's next owner, never dead-lettered) and
 * waits for them, at most {@code wait}, before the revocation goes on (and before the container commits): so no
 * other consumer starts a record this one still works on. Then the application's own rebalance listener runs.
 *
 * <p>A listener that runs on the consumer thread is never in flight here (Kafka calls this on that thread, in
 * {@code poll()}); records whose invocation outlives the listener call (asynchronous returns) are.
 *
 * <p>Thread-safety: called on the consumer threads; no state of its own.
 */
public final class RevokedPartitionsCanceller implements ConsumerAwareRebalanceListener {

    private final ListenerInvocations invocations;
    private final Duration wait;
    private final @Nullable ConsumerRebalanceListener delegate;

    /**
     * @param wait how long a revocation waits for the cancelled invocations to end
     * @param delegate the application's own rebalance listener, run after; {@code null} for none
     */
    public RevokedPartitionsCanceller(ListenerInvocations invocations, Duration wait,
            @Nullable ConsumerRebalanceListener delegate) {
        this.invocations = Objects.requireNonNull(invocations, "invocations");
        this.wait = Objects.requireNonNull(wait, "wait");
        this.delegate = delegate;
    }

    /** The application's rebalance listener this one runs, or {@code null}. */
    public @Nullable ConsumerRebalanceListener getDelegate() {
        return delegate;
    }

    @Override
    public void onPartitionsRevokedBeforeCommit(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        cancelAndWait(partitions, "partitions revoked");
        if (delegate instanceof ConsumerAwareRebalanceListener aware) {
            aware.onPartitionsRevokedBeforeCommit(consumer, partitions);
        } else if (delegate != null) {
            delegate.onPartitionsRevoked(partitions);
        }
    }

    @Override
    public void onPartitionsRevokedAfterCommit(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (delegate instanceof ConsumerAwareRebalanceListener aware) {
            aware.onPartitionsRevokedAfterCommit(consumer, partitions);
        }
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        cancelAndWait(partitions, "partitions lost");
        if (delegate instanceof ConsumerAwareRebalanceListener aware) {
            aware.onPartitionsLost(consumer, partitions);
        } else if (delegate != null) {
            delegate.onPartitionsLost(partitions);
        }
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (delegate instanceof ConsumerAwareRebalanceListener aware) {
            aware.onPartitionsAssigned(consumer, partitions);
        } else if (delegate != null) {
            delegate.onPartitionsAssigned(partitions);
        }
    }

    /** Whether a batch's invocation ({@link InvocationBatchInterceptor}) has records of one of {@code keys}. */
    private static boolean ofBatch(Map<String, String> attributes, Set<String> keys) {
        String partitions = attributes.get("partitions");
        if (partitions == null) {
            return false;
        }
        for (String partition : partitions.split(",")) {
            if (keys.contains(partition)) {
                return true;
            }
        }
        return false;
    }

    private void cancelAndWait(Collection<TopicPartition> partitions, String why) {
        if (partitions.isEmpty()) {
            return;
        }
        Set<String> keys = partitions.stream().map(partition -> partition.topic() + "-" + partition.partition())
                .collect(Collectors.toUnmodifiableSet());
        Predicate<Map<String, String>> ofThese = attributes -> keys.contains(
                attributes.get("topic") + "-" + attributes.get("partition")) || ofBatch(attributes, keys);
        CancellationReason reason = new CancellationReason(CancellationReason.Kind.SHUTDOWN, why, Instant.now(),
                "rebalance");
        if (invocations.cancelWhere(ofThese, reason) == 0) {
            return;
        }
        try {
            invocations.awaitIdleWhere(ofThese, wait);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
