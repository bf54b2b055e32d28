package dev.cancellation.cluster;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.actuate.FleetTasks.RemoteTask;
import dev.cancellation.actuate.FleetUnavailableException;
import dev.cancellation.actuate.RunningTasks;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Only the fleet cancels the fleet's tasks: fleet members on a real Redis server, and a publisher on the same Redis
 * that is not one of them (it has Redis access but no fleet key).
 */
@ExtendWith(OutputCaptureExtension.class)
class FleetSecurityTests {

    private static final String OTHER_KEY = "another-fleet-key-with-at-least-32-bytes!";

    private static TestRedis redis;

    private static int fleets;

    private final List<FleetMember> members = new ArrayList<>();

    private String fleet;

    private StringRedisTemplate raw;

    @BeforeAll
    static void startRedis() {
        redis = TestRedis.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @AfterEach
    void leave() throws InterruptedException {
        for (FleetMember member : members) {
            member.close();
        }
    }

    private FleetMember member(String instance, List<String> keys) {
        if (fleet == null) {
            fleet = "secure-" + (++fleets); // a fresh fleet per test
        }
        FleetMember member = new FleetMember(redis, FleetMember.settings(fleet, instance, keys));
        members.add(member);
        if (raw == null) {
            raw = new StringRedisTemplate(member.connectionFactory);
            raw.afterPropertiesSet();
        }
        await().atMost(PROMPTLY).until(member.fleet::isInFleet);
        return member;
    }

    private String requests() {
        return "cancellation:fleet:" + fleet + ":requests";
    }

    /** A request as a member with {@code key} would send it, expiring as a sender's does. */
    private String signed(String key, String type, String id, String name, long expiresAt, String requestId) {
        FleetWire.Request request = new FleetWire.Request(FleetWire.VERSION, fleet, type, "mallory", requestId,
                expiresAt, id, name, true, "m", "o");
        return new FleetSigner(List.of(key)).seal(requests(), new FleetWire(fleet).encode(request));
    }

    private String cancelAll(String key, String name, long expiresAt, String requestId) {
        return signed(key, FleetWire.CANCEL_ALL, null, name, expiresAt, requestId);
    }

    private static long soon() {
        return System.currentTimeMillis() + FleetMember.REQUEST_TIMEOUT.toMillis();
    }

    @Test
    void anUnsignedOrForgedCancelOnTheChannelCancelsNothingAndIsCountedAndLoggedWithTheClaimedSender(
            CapturedOutput output) {
        FleetMember a = member("a", List.of(FleetMember.KEY));
        member("b", List.of(FleetMember.KEY));
        RunningTasks.Running onA = a.tasks.start("sync");
        String unsigned = new FleetWire(fleet).encode(new FleetWire.Request(FleetWire.VERSION, fleet,
                FleetWire.CANCEL, "mallory", "r1", soon(), onA.id(), null, null, "m", "o"));
        String badMac = "s1:" + "A".repeat(43) + ":" + unsigned;
        String otherKey = signed(OTHER_KEY, FleetWire.CANCEL, onA.id(), null, soon(), "r2");

        for (String message : List.of(unsigned, badMac, otherKey)) {
            raw.convertAndSend(requests(), message);
        }

        await().atMost(PROMPTLY).until(() -> a.fleet.counters().rejectedCount() >= 3);
        assertThat(onA.handle().token().isCancelled()).as("no unverified request cancels").isFalse();
        assertThat(output).contains("Rejected a fleet request claiming to come from 'mallory'");
        // the members themselves still cancel each other's tasks
        assertThat(members.get(1).fleet.cancel(onA.id(), CancellationReason.requested("operator:alice")))
                .isPresent();
        onA.assertCancelled();
    }

    @Test
    void aSignedRequestIsCarriedOutOnceAndItsReplayIsRefused() {
        FleetMember a = member("a", List.of(FleetMember.KEY));
        RunningTasks.Running first = a.tasks.start("sync");
        String captured = cancelAll(FleetMember.KEY, "sync", soon(), UUID.randomUUID().toString());

        raw.convertAndSend(requests(), captured);
        first.assertCancelled();
        RunningTasks.Running second = a.tasks.start("sync");
        long rejected = a.fleet.counters().rejectedCount();
        raw.convertAndSend(requests(), captured);

        await().atMost(PROMPTLY).until(() -> a.fleet.counters().rejectedCount() > rejected);
        assertThat(second.handle().token().isCancelled()).as("a replayed request cancels nothing").isFalse();
    }

    @Test
    void aSignedRequestOutsideItsValidityWindowIsRefused() {
        FleetMember a = member("a", List.of(FleetMember.KEY));
        RunningTasks.Running task = a.tasks.start("sync");

        raw.convertAndSend(requests(), cancelAll(FleetMember.KEY, "sync", System.currentTimeMillis() - 1, "old"));
        // a captured request cannot be made to last: an expiry far ahead is refused too
        raw.convertAndSend(requests(), cancelAll(FleetMember.KEY, "sync", System.currentTimeMillis() + 60_000,
                "forever"));

        await().atMost(PROMPTLY).until(() -> a.fleet.counters().rejectedCount() >= 2);
        assertThat(task.handle().token().isCancelled()).isFalse();
    }

    @Test
    void anInstanceWithAnotherKeyCannotCancelAndGetsNoAnswer() {
        FleetMember a = member("a", List.of(FleetMember.KEY));
        FleetMember intruder = member("intruder", List.of(OTHER_KEY));
        RunningTasks.Running onA = a.tasks.start("sync");

        assertThatThrownBy(() -> intruder.fleet.cancel(onA.id(), CancellationReason.requested("operator:eve")))
                .isInstanceOf(FleetUnavailableException.class).hasMessageContaining("did not answer");
        assertThatThrownBy(() -> intruder.fleet.cancelAll("sync", CancellationReason.requested("operator:eve"), true))
                .isInstanceOf(FleetUnavailableException.class);

        assertThat(onA.handle().token().isCancelled()).isFalse();
        assertThat(a.fleet.counters().rejectedCount()).isGreaterThanOrEqualTo(2);
        assertThat(intruder.fleet.list(null, null)).as("nor does it read the fleet's snapshots").isEmpty();
    }

    @Test
    void aRotatedKeyStillVerifiesWhileTheFleetMovesToTheNewOne() {
        String oldKey = FleetMember.KEY;
        // mid-rotation: one member still signs with the old key, one already with the new, one knows only the old
        FleetMember old = member("old", List.of(oldKey, OTHER_KEY));
        FleetMember rotated = member("rotated", List.of(OTHER_KEY, oldKey));
        FleetMember legacy = member("legacy", List.of(oldKey));
        RunningTasks.Running onOld = old.tasks.start("sync");
        RunningTasks.Running onRotated = rotated.tasks.start("sync");

        assertThat(rotated.fleet.cancel(onOld.id(), CancellationReason.requested("operator:alice"))).isPresent();
        onOld.assertCancelled();
        // legacy cannot verify rotated's replies (it lacks the new key), but rotated carries out its cancel
        assertThatThrownBy(() -> legacy.fleet.cancel(onRotated.id(), CancellationReason.requested("operator:bob")))
                .isInstanceOf(FleetUnavailableException.class);
        onRotated.assertCancelled();
        assertThat(old.fleet.find(onRotated.id())).isPresent();
    }

    @Test
    void withoutAKeyTheFleetListsAndLooksUpButRefusesCancelsAcrossInstancesSayingHowToSetTheKey(
            CapturedOutput output) {
        FleetMember a = member("a", List.of());
        FleetMember b = member("b", List.of());
        RunningTasks.Running onB = b.tasks.start("sync");

        assertThat(output).contains("runs without a key", "cancellation.cluster.secret");
        await().atMost(PROMPTLY).until(() -> !a.fleet.list(null, null).isEmpty());
        assertThat(a.fleet.find(onB.id())).isPresent();
        assertThatThrownBy(() -> a.fleet.cancel(onB.id(), CancellationReason.requested("operator:alice")))
                .isInstanceOf(FleetUnavailableException.class)
                .hasMessageContaining("Set the same cancellation.cluster.secret")
                .hasMessageContaining("instance b");
        assertThatThrownBy(() -> a.fleet.cancelAll("sync", CancellationReason.requested("operator:alice"), false))
                .isInstanceOf(FleetUnavailableException.class).hasMessageContaining("cancellation.cluster.secret");
        assertThat(a.fleet.cancel("0123456789abcdef", CancellationReason.requested("operator:alice")))
                .as("an unknown id is still a plain not-found").isEmpty();
        // and an unsigned cancel on the channel is never carried out by an instance without a key
        String unsigned = new FleetWire(fleet).encode(new FleetWire.Request(FleetWire.VERSION, fleet,
                FleetWire.CANCEL_ALL, "mallory", "r1", soon(), null, "sync", true, "m", "o"));
        raw.convertAndSend(requests(), unsigned);
        await().atMost(PROMPTLY).until(() -> b.fleet.counters().rejectedCount() >= 1);
        assertThat(onB.handle().token().isCancelled()).isFalse();
    }

    @Test
    void anInstanceWhoseClockIsBehindStaysInTheFleetAndIsAsked() {
        FleetMember a = member("a", List.of(FleetMember.KEY));
        // its own clock a minute behind: scores and expiries from it would be long past for everyone else
        FleetMember late = new FleetMember(redis, FleetMember.settings(fleet, "late", List.of(FleetMember.KEY)),
                new FleetClock(() -> System.currentTimeMillis() - 60_000));
        members.add(late);
        await().atMost(PROMPTLY).until(late.fleet::isInFleet);
        RunningTasks.Running onLate = late.tasks.start("sync");
        RunningTasks.Running onA = a.tasks.start("sync");

        await().atMost(PROMPTLY).until(() -> !a.fleet.list(null, null).isEmpty());
        assertThat(a.fleet.find(onLate.id())).as("not pruned: its task is found, not a false 404").isPresent();
        assertThat(late.fleet.cancel(onA.id(), CancellationReason.requested("operator:alice")))
                .as("its requests are not expired on arrival").isPresent();
        onA.assertCancelled();
    }

    @Test
    void aSecondLiveInstanceWithTheSameIdFailsToStartAndAStoppedOneIsReplaced() throws InterruptedException {
        FleetMember a = member("a", List.of(FleetMember.KEY));

        assertThatThrownBy(() -> new FleetMember(redis, FleetMember.settings(fleet, "a", List.of(FleetMember.KEY))))
                .isInstanceOf(DuplicateInstanceException.class)
                .hasMessageContaining("instance id 'a'")
                .hasMessageContaining("cancellation.cluster.instance-id");
        assertThat(a.fleet.isInFleet()).isTrue();

        a.close();
        members.remove(a);
        member("a", List.of(FleetMember.KEY)); // its successor joins
    }

    @Test
    void idsAndNamesLongerThanTheWireAllowsAreRefusedAtOnceAndLongTaskNamesAreCutInTheSnapshot() {
        FleetMember a = member("a", List.of(FleetMember.KEY));
        FleetMember b = member("b", List.of(FleetMember.KEY));
        String tooLong = "x".repeat(FleetWire.MAX_ID_LENGTH + 1);

        assertThatThrownBy(() -> a.fleet.find(tooLong)).hasMessageContaining("at most 256 characters");
        assertThatThrownBy(() -> a.fleet.cancel(tooLong, CancellationReason.requested("operator:alice")))
                .hasMessageContaining("task id of 257 characters");
        assertThatThrownBy(() -> a.fleet.cancelAll(tooLong, CancellationReason.requested("operator:alice"), false))
                .hasMessageContaining("task name of 257 characters");

        String longName = "n".repeat(1000);
        RunningTasks.Running onB = b.tasks.start(longName);
        List<RemoteTask> seen = await().atMost(PROMPTLY).until(() -> a.fleet.list(null, null), l -> !l.isEmpty());
        assertThat(seen).singleElement().satisfies(task -> {
            assertThat(task.info().id()).isEqualTo(onB.id());
            assertThat(task.info().name()).hasSize(FleetWire.MAX_ID_LENGTH).endsWith("...");
        });
        assertThat(a.fleet.find(onB.id())).as("the reply is accepted too").isPresent();
        assertThat(a.fleet.counters().failedCount()).isZero();
    }
}
