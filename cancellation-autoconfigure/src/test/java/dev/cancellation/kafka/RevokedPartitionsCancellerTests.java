package dev.cancellation.kafka;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.messaging.ListenerInvocation;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;

/**
 * Revoked and lost partitions cancel the invocations of their records still in flight and wait for them before
 * the application's own rebalance listener runs (batches with records of them too); invocations of other partitions
 * go on.
 */
class RevokedPartitionsCancellerTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final ListenerInvocations invocations = new ListenerInvocations("Kafka listeners", registry,
            Duration.ofSeconds(5));
    private final Consumer<?, ?> consumer = new MockConsumer<>("earliest");

    @AfterEach
    void closeRegistry() {
        registry.close();
    }

    @Test
    void revokedPartitionsCancelTheirInvocationsAndWaitForThemBeforeTheApplicationsListener() throws Exception {
        ListenerInvocation revoked = invocations.open("orders orders", attributes("orders", 0), null, null);
        ListenerInvocation kept = invocations.open("orders orders", attributes("orders", 1), null, null);
        // The revoked record's listener ends on another thread (an asynchronous listener) when its token is cancelled.
        CountDownLatch cancelled = new CountDownLatch(1);
        CompletableFuture<Throwable> ended = CompletableFuture.supplyAsync(() -> {
            try {
                revoked.token().whenCancelled().toCompletableFuture().get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
                cancelled.countDown();
                return revoked.exit(null);
            } catch (Exception ex) {
                return ex;
            }
        });
        List<String> calls = new ArrayList<>();
        ConsumerAwareRebalanceListener application = new ConsumerAwareRebalanceListener() {
            @Override
            public void onPartitionsRevokedBeforeCommit(Consumer<?, ?> consumer,
                    Collection<TopicPartition> partitions) {
                calls.add("revoked " + partitions + " in flight " + invocations.size());
            }
        };
        new RevokedPartitionsCanceller(invocations, PROMPTLY, application)
                .onPartitionsRevokedBeforeCommit(consumer, List.of(new TopicPartition("orders", 0)));
        assertThat(cancelled.getCount()).isZero();
        assertThat(revoked.token().reason()).get().extracting(CancellationReason::kind)
                .isEqualTo(CancellationReason.Kind.SHUTDOWN);
        assertThat(ended.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isNull();
        // The application's listener ran after the revoked invocation ended; the other partition's goes on.
        assertThat(calls).containsExactly("revoked [orders-0] in flight 1");
        assertThat(kept.token().isCancelled()).isFalse();
        kept.exit(null);
    }

    @Test
    void lostPartitionsCancelTheirInvocationsToo() {
        ListenerInvocation lost = invocations.open("orders orders", attributes("orders", 2), null, null);
        new RevokedPartitionsCanceller(invocations, Duration.ofMillis(50), null)
                .onPartitionsLost(consumer, List.of(new TopicPartition("orders", 2)));
        assertThat(lost.token().isCancelled()).isTrue();
        lost.exit(null);
    }

    @Test
    void aBatchWithRecordsOfARevokedPartitionIsCancelledAndOneWithoutGoesOn() {
        ListenerInvocation spanning = invocations.open("orders orders", Map.of("topic", "orders",
                "partitions", "orders-1,orders-3", "offsets", "4-9,0-2", "count", "9"), null, null);
        ListenerInvocation other = invocations.open("orders orders", Map.of("topic", "orders",
                "partitions", "orders-13", "offsets", "0-0", "count", "1"), null, null);
        new RevokedPartitionsCanceller(invocations, Duration.ofMillis(50), null)
                .onPartitionsRevokedBeforeCommit(consumer, List.of(new TopicPartition("orders", 3)));
        assertThat(spanning.token().reason()).get().extracting(CancellationReason::kind)
                .isEqualTo(CancellationReason.Kind.SHUTDOWN);
        assertThat(other.token().isCancelled()).isFalse();
        spanning.exit(null);
        other.exit(null);
    }

    private static Map<String, String> attributes(String topic, int partition) {
        return Map.of("topic", topic, "partition", Integer.toString(partition), "offset", "7");
    }
}
