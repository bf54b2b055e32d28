package dev.cancellation.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a peer accepts is what an instance sends: tasks with over-long names, thread names or reasons are cut, not
 * the whole snapshot rejected, and a snapshot never exceeds the size peers accept, whatever max-published-tasks
 * says.
 */
class FleetWireTests {

    private final FleetWire wire = new FleetWire("orders");

    private static TaskInfo task(int i, String name) {
        return new TaskInfo(String.format("%016x", i), name, TaskState.CANCELLING, null, Instant.now(), null,
                Duration.ZERO, CancellationReason.requested("m".repeat(5000), "o".repeat(5000)), "t".repeat(1000),
                null);
    }

    @Test
    void overLongFieldsAreCutSoThatPeersAcceptTheTask() {
        FleetWire.WireTask sent = FleetWire.WireTask.of(task(1, "n".repeat(1000)));

        assertThat(sent.name()).hasSize(FleetWire.MAX_ID_LENGTH).endsWith(FleetWire.CUT);
        assertThat(sent.thread()).hasSize(FleetWire.MAX_ID_LENGTH);
        assertThat(sent.reason().message()).hasSize(FleetWire.MAX_TEXT_LENGTH);
        assertThat(sent.reason().origin()).hasSize(FleetWire.MAX_TEXT_LENGTH);
        FleetWire.Snapshot snapshot = new FleetWire.Snapshot(FleetWire.VERSION, "orders", "a", 1L, List.of(sent), 0,
                "i");
        assertThat(wire.decodeSnapshot(wire.encode(snapshot)).tasks()).hasSize(1);
    }

    @Test
    void attributesCrossTheWireInOrderAndOverLongOnesAreCut() {
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("topic", "orders");
        attributes.put("offset", "v".repeat(5000));
        TaskInfo info = task(1, "listener");
        TaskInfo withAttributes = new TaskInfo(info.id(), info.name(), info.state(), null, info.startedAt(), null,
                Duration.ZERO, null, null, null, attributes);

        FleetWire.WireTask sent = FleetWire.WireTask.of(withAttributes);
        sent.validate();
        TaskInfo received = sent.toInfo(Instant.now());

        assertThat(received.attributes()).containsOnlyKeys("topic", "offset");
        assertThat(received.attributes().keySet()).containsExactly("topic", "offset");
        assertThat(received.attributes().get("offset")).hasSize(FleetWire.MAX_TEXT_LENGTH);
        assertThat(FleetWire.WireTask.of(info).attributes()).isNull();
    }

    @Test
    void aSnapshotPublishesTheTasksThatFitAndCountsTheRestAsOmitted() {
        List<FleetWire.WireTask> tasks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            tasks.add(FleetWire.WireTask.of(task(i, "n".repeat(300))));
        }
        FleetWire.Snapshot all = new FleetWire.Snapshot(FleetWire.VERSION, "orders", "a", 1L, tasks, 7, "i");
        int full = wire.encode(all).length();
        int limit = full / 3;

        FleetWire.Encoded encoded = wire.encodeSnapshot(all, limit);

        assertThat(encoded.json().length()).isLessThanOrEqualTo(limit);
        assertThat(encoded.tasks()).isBetween(30, 34);
        FleetWire.Snapshot received = wire.decodeSnapshot(encoded.json());
        assertThat(received.tasks()).hasSize(encoded.tasks());
        assertThat(received.omitted()).isEqualTo(107 - encoded.tasks());
        assertThat(wire.encodeSnapshot(all, full).tasks()).as("what fits is published whole").isEqualTo(100);
    }

    @Test
    void theWorstCaseTaskIsSmallEnoughForTheDefaultNumberOfPublishedTasks() {
        int worst = wire.encode(FleetWire.WireTask.of(task(1, "n".repeat(1000)))).length();
        assertThat((long) worst * 1000).as("1000 tasks (the default) always fit in one snapshot")
                .isLessThan(FleetMembership.MAX_SNAPSHOT_CHARS);
    }
}
