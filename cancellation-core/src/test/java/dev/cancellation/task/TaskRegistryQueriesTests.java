package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Parent/child ids, list/find/children, history, cancel operations and listener order. */
class TaskRegistryQueriesTests {

    private final TaskRegistry registry = new TaskRegistry(new TaskRegistry.Settings(3, 1, 10, Duration.ofSeconds(5)));
    private final RecordingListener events = new RecordingListener();

    {
        registry.addListener(events);
    }

    @AfterEach
    void tearDown() {
        registry.shutdown(Duration.ZERO, Duration.ofSeconds(2), true, Duration.ofMillis(100));
    }

    private static TaskSpec spec(String name) {
        return new TaskSpec(name, CancellationToken.none(), null, null, null, null);
    }

    @Test
    void nestedTaskRecordsItsParentAndIsListedAsItsChild() {
        AtomicReference<String> parentId = new AtomicReference<>();
        AtomicReference<List<TaskInfo>> children = new AtomicReference<>();
        AtomicReference<TaskInfo> child = new AtomicReference<>();
        registry.run("parent", null, parentToken -> {
            parentId.set(registry.handleFor(parentToken).orElseThrow().id());
            return registry.run("child", null, childToken -> {
                child.set(registry.handleFor(childToken).orElseThrow().info());
                children.set(registry.children(parentId.get()));
                return null;
            });
        });
        assertThat(child.get().parentId()).isEqualTo(parentId.get());
        assertThat(children.get()).extracting(TaskInfo::id).containsExactly(child.get().id());
        assertThat(registry.children("unknown")).isEmpty();
        assertThat(registry.children(null)).isEmpty();
    }

    @Test
    void attributesAreKeptInOrderOnTheSpecAndShownInTheTasksSnapshot() {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("partition", "3");
        attributes.put("offset", "42");
        TaskHandle handle = registry.start(spec("listener").withAttributes(attributes));
        attributes.put("late", "ignored"); // the spec holds a copy

        assertThat(handle.info().attributes().keySet()).containsExactly("partition", "offset");
        assertThat(registry.start(spec("plain")).info().attributes()).isEmpty();
        assertThatThrownBy(() -> spec("listener").withAttributes(Collections.singletonMap(" ", "x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'listener'");
        Map<String, String> tooMany = new HashMap<>();
        for (int i = 0; i <= TaskSpec.MAX_ATTRIBUTES; i++) {
            tooMany.put("k" + i, "v");
        }
        assertThatThrownBy(() -> spec("listener").withAttributes(tooMany))
                .hasMessageContaining("at most " + TaskSpec.MAX_ATTRIBUTES);
    }

    @Test
    void cancellingAParentCancelsItsChildWithTheSameReason() {
        TaskHandle parent = registry.start(spec("parent"));
        TaskHandle child = registry.start(spec("child").withParent(parent.token()));
        CancellationReason reason = CancellationReason.requested("stop", "test");
        registry.cancel(parent.id(), reason);
        assertThat(child.token().reason()).containsSame(reason);
        assertThat(registry.find(child.id()).orElseThrow().state()).isEqualTo(TaskState.CANCELLING);
        assertThat(child.exit(new TaskCancelledException(reason))).isInstanceOf(TaskCancelledException.class);
        parent.exit(null);
    }

    @Test
    void listFiltersByNameAndStateOldestFirstAndFindKnowsOnlyLiveIds() {
        TaskHandle a1 = registry.start(spec("a"));
        TaskHandle b = registry.start(spec("b"));
        TaskHandle a2 = registry.start(spec("a"));
        registry.cancel(a2.id(), CancellationReason.requested("test"));

        assertThat(registry.list()).extracting(TaskInfo::id).containsExactlyInAnyOrder(a1.id(), b.id(), a2.id());
        assertThat(registry.list("a", null)).extracting(TaskInfo::id).containsExactlyInAnyOrder(a1.id(), a2.id());
        assertThat(registry.list(null, TaskState.CANCELLING)).extracting(TaskInfo::id).containsExactly(a2.id());
        assertThat(registry.list("b", TaskState.CANCELLING)).isEmpty();
        assertThat(registry.find(b.id())).map(TaskInfo::name).contains("b");
        assertThat(registry.find("nope")).isEmpty();
        assertThat(registry.find(null)).isEmpty();
        assertThat(registry.cancel("nope", CancellationReason.requested("x"))).isEmpty();
        assertThat(registry.size()).isEqualTo(3);
        a1.exit(null);
        b.exit(null);
        a2.exit(null);
        assertThat(registry.size()).isZero();
    }

    @Test
    void historyIsBoundedNewestFirstAndHoldsOnlyCancelledFailedAndAbandoned() {
        for (int i = 0; i < 5; i++) {
            TaskHandle failing = registry.start(spec("failed-" + i));
            failing.exit(new IllegalStateException("boom"));
            registry.start(spec("completed-" + i)).exit(null);
        }
        TaskHandle cancelled = registry.start(spec("cancelled"));
        cancelled.cancel(CancellationReason.requested("test"));
        cancelled.exit(new TaskCancelledException(cancelled.token().reason().orElseThrow()));

        assertThat(registry.history()).extracting(TaskInfo::name).containsExactly("cancelled", "failed-4", "failed-3");
        assertThat(registry.history()).extracting(TaskInfo::state)
                .containsExactly(TaskState.CANCELLED, TaskState.FAILED, TaskState.FAILED);
        assertThat(registry.findIncludingHistory(cancelled.id())).map(TaskInfo::state).contains(TaskState.CANCELLED);
        assertThat(registry.find(cancelled.id())).isEmpty();
    }

    @Test
    void zeroHistoryKeepsNothing() {
        TaskRegistry none = new TaskRegistry(new TaskRegistry.Settings(0, 1, 1, Duration.ofSeconds(1)));
        none.start(spec("failed")).exit(new IllegalStateException());
        assertThat(none.history()).isEmpty();
        none.close();
    }

    @Test
    void cancelAllByNameCancelsOnlyThatNameAndRejectsBlankNames() {
        TaskHandle a1 = registry.start(spec("a"));
        TaskHandle a2 = registry.start(spec("a"));
        TaskHandle b = registry.start(spec("b"));
        List<TaskInfo> cancelled = registry.cancelAll("a", CancellationReason.requested("ops"));
        assertThat(cancelled).extracting(TaskInfo::id).containsExactlyInAnyOrder(a1.id(), a2.id());
        assertThat(cancelled).allSatisfy(info -> assertThat(info.state()).isEqualTo(TaskState.CANCELLING));
        assertThat(b.token().isCancelled()).isFalse();

        assertThatThrownBy(() -> registry.cancelAll(" ", CancellationReason.requested("ops")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
        assertThatThrownBy(() -> registry.cancelAll(null, CancellationReason.requested("ops")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(b.token().isCancelled()).as("a blank name cancels nothing").isFalse();

        assertThat(registry.cancelEverything(CancellationReason.requested("all"))).isEqualTo(1);
        assertThat(b.token().isCancelled()).isTrue();
        assertThat(registry.cancelEverything(CancellationReason.requested("again"))).isZero();
        a1.exit(null);
        a2.exit(null);
        b.exit(null);
    }

    @Test
    void listenerSeesEventsInOrderWithStopLatency() {
        TaskHandle handle = registry.start(spec("ordered").withCleanup((task, reason, token) -> null));
        handle.cancel(CancellationReason.requested("test"));
        handle.exit(new TaskCancelledException(handle.token().reason().orElseThrow()));
        org.awaitility.Awaitility.await().until(() -> registry.size() == 0);
        assertThat(events.of("ordered")).containsExactly("started ordered", "cancelRequested ordered REQUESTED",
                "exited ordered CANCELLED", "cleanupFinished ordered SUCCESS", "removed ordered CANCELLED");
        assertThat(events.stopLatencies).singleElement()
                .satisfies(latency -> assertThat(latency).isGreaterThanOrEqualTo(Duration.ZERO));
    }

    @Test
    void failingListenerDoesNotBreakTheRegistryOrOtherListeners() {
        registry.addListener(new TaskListener() {
            @Override
            public void onStarted(TaskInfo task) {
                throw new IllegalStateException("listener bug");
            }
        });
        registry.start(spec("survives")).exit(null);
        assertThat(events.of("survives")).containsExactly("started survives", "exited survives COMPLETED",
                "removed survives COMPLETED");
        assertThat(registry.size()).isZero();
    }

    @Test
    void idsAreUniqueAndNotSequential() {
        Set<String> ids = new HashSet<>();
        String previous = null;
        int adjacent = 0;
        TaskRegistry plain = new TaskRegistry(); // no recording listener: 100k tasks
        int duplicates = 0;
        for (int i = 0; i < 100_000; i++) {
            TaskHandle handle = plain.start(spec("id"));
            if (!ids.add(handle.id())) {
                duplicates++;
            }
            if (previous != null && Long.parseUnsignedLong(handle.id(), 16) - Long.parseUnsignedLong(previous, 16) == 1) {
                adjacent++;
            }
            previous = handle.id();
            handle.exit(null);
        }
        assertThat(duplicates).isZero();
        assertThat(adjacent).isLessThan(5);
        assertThat(ids).allMatch(id -> id.matches("[0-9a-f]{16}"));
        plain.close();
    }
}
