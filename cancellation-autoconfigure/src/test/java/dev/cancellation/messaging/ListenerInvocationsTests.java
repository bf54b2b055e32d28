package dev.cancellation.messaging;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Listener invocations as registered tasks: current while attached, cancelled by selection, drained. */
class ListenerInvocationsTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final ListenerInvocations invocations = new ListenerInvocations("test listeners", registry,
            Duration.ofSeconds(5));

    @AfterEach
    void close() {
        registry.close();
    }

    @Test
    void anInvocationIsARegisteredTaskWithItsAttributesWhoseTokenIsCurrentWhileAttached() {
        ListenerInvocation invocation = invocations.open("orders-listener orders", Map.of("partition", "2"),
                Duration.ofMinutes(1), null);

        assertThat(registry.find(invocation.task().id())).hasValueSatisfying(info -> {
            assertThat(info.name()).isEqualTo("orders-listener orders");
            assertThat(info.attributes()).containsEntry("partition", "2");
            assertThat(info.deadline()).isNotNull();
        });
        try (TaskAttachment ignored = invocation.attach()) {
            assertThat(CancellationToken.current()).isSameAs(invocation.token());
        }
        assertThat(CancellationToken.current()).isNotSameAs(invocation.token());
        assertThat(invocation.exit(null)).isNull();
        assertThat(invocations.size()).isZero();
        assertThat(registry.find(invocation.task().id())).isEmpty();
    }

    @Test
    void cancellingBySelectionCancelsOnlyTheMatchingInvocationsAndTheirExitSaysWhy() {
        ListenerInvocation revoked = invocations.open("l", Map.of("partition", "1"), null, null);
        ListenerInvocation kept = invocations.open("l", Map.of("partition", "2"), null, null);
        CancellationReason rebalance = CancellationReason.requested("partition revoked", "rebalance");

        int cancelled = invocations.cancelWhere(attributes -> "1".equals(attributes.get("partition")), rebalance);

        assertThat(cancelled).isOne();
        assertThat(revoked.token().reason()).contains(rebalance);
        assertThat(kept.token().isCancelled()).isFalse();
        assertThat(revoked.exit(new TaskCancelledException(rebalance))).isInstanceOf(TaskCancelledException.class);
        assertThat(kept.exit(null)).isNull();
    }

    @Test
    void awaitIdleWhereWaitsForTheMatchingInvocationsOnly() throws Exception {
        ListenerInvocation revoked = invocations.open("l", Map.of("partition", "1"), null, null);
        ListenerInvocation kept = invocations.open("l", Map.of("partition", "2"), null, null);

        CompletableFuture<Boolean> idle = CompletableFuture.supplyAsync(() -> {
            try {
                return invocations.awaitIdleWhere(attributes -> "1".equals(attributes.get("partition")), PROMPTLY);
            } catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
        });
        assertThat(invocations.awaitIdleWhere(attributes -> "2".equals(attributes.get("partition")),
                Duration.ofMillis(20))).isFalse();
        revoked.exit(null);

        assertThat(idle.get()).isTrue();
        assertThat(invocations.size()).isOne();
        kept.exit(null);
    }

    @Test
    void theDrainCoversInvocationsAndTheirChildrenAndCancelsTheRestWithShutdown() throws Exception {
        ListenerInvocation running = invocations.open("l", Map.of(), null, null);
        TaskHandle childTask = registry.start(new TaskSpec("child", running.token(), null, null, null, null));
        CancellationToken child = childTask.token();

        assertThat(invocations.covers(running.token())).isTrue();
        assertThat(invocations.covers(child)).isTrue();
        assertThat(invocations.covers(CancellationToken.none())).isFalse();
        assertThat(invocations.awaitIdle(Duration.ofMillis(20))).isFalse();
        assertThat(invocations.cancelRemaining(CancellationReason.shutdown("stopping"))).isOne();
        await().atMost(PROMPTLY).until(child::isCancelled);
        childTask.exit(null);
        running.exit(null);
        assertThat(invocations.awaitIdle(PROMPTLY)).isTrue();
    }

    @Test
    void expiredMessagesAreCountedPerListener() {
        invocations.recordExpired("orders");
        invocations.recordExpired("orders");

        assertThat(invocations.expiredCount("orders")).isEqualTo(2);
        assertThat(invocations.expiredCount("payments")).isZero();
        assertThat(invocations.listenersWithExpiredMessages()).containsExactly("orders");
    }

    @Test
    void exitActsOnceAndANegativeDrainNamesItsWork() {
        ListenerInvocation invocation = invocations.open("l", Map.of(), null, null);
        invocation.exit(null);
        IllegalStateException failure = new IllegalStateException("later");

        assertThat(invocation.exit(failure)).isSameAs(failure);
        assertThat(invocation.hasExited()).isTrue();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new ListenerInvocations("Kafka listeners", registry, Duration.ofSeconds(-1)))
                .withMessageContaining("Kafka listeners");
    }
}
