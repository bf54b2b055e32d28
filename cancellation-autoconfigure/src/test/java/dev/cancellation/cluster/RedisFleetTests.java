package dev.cancellation.cluster;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.actuate.FleetTasks.RemoteTask;
import dev.cancellation.actuate.FleetUnavailableException;
import dev.cancellation.actuate.RunningTasks;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Two fleet members in this JVM against a real Redis server: what one sees and does to the other's tasks.
 * (Separate processes, killed instances and Redis restarts are covered by the demo's end-to-end tests.)
 */
class RedisFleetTests {

    private static TestRedis redis;

    private FleetMember a;

    private FleetMember b;

    private StringRedisTemplate raw;

    private static int fleets;

    @BeforeAll
    static void startRedis() {
        redis = TestRedis.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void join() {
        String fleet = "orders-" + (++fleets); // a fresh fleet per test: nothing left over from another
        a = new FleetMember(redis, fleet, "a");
        b = new FleetMember(redis, fleet, "b");
        raw = new StringRedisTemplate(a.connectionFactory);
        raw.afterPropertiesSet();
        await().atMost(PROMPTLY).until(() -> a.fleet.isInFleet() && b.fleet.isInFleet());
    }

    @AfterEach
    void leave() throws InterruptedException {
        a.close();
        b.close();
    }

    @Test
    void listsTheTasksOfTheOtherInstancesWithTheirInstance() {
        RunningTasks.Running onB = b.tasks.start("catalog-import");

        List<RemoteTask> seenFromA = await().atMost(PROMPTLY).until(() -> a.fleet.list(null, null),
                tasks -> !tasks.isEmpty());

        assertThat(seenFromA).singleElement().satisfies(task -> {
            assertThat(task.instance()).isEqualTo("b");
            assertThat(task.info().id()).isEqualTo(onB.id());
            assertThat(task.info().name()).isEqualTo("catalog-import");
            assertThat(task.info().state()).isEqualTo(TaskState.RUNNING);
            assertThat(task.info().thread()).isEqualTo(onB.thread().getName());
            assertThat(task.info().startedAt()).isEqualTo(onB.handle().info().startedAt());
        });
        assertThat(a.fleet.list("other-name", null)).isEmpty();
        assertThat(a.fleet.list(null, TaskState.CANCELLING)).isEmpty();
        assertThat(b.fleet.list(null, null)).as("an instance's own tasks are not remote").isEmpty();
    }

    @Test
    void cancelsOnTheOwnerWithAnOriginNamingWhoAskedAndThroughWhichInstance() throws Exception {
        CompletableFuture<String> cleanupThread = new CompletableFuture<>();
        RunningTasks.Running onB = b.tasks.start("catalog-import", (task, reason, token) -> {
            cleanupThread.complete(Thread.currentThread().getName() + " / " + reason.origin());
            return null;
        });

        Optional<RemoteTask> cancelled = a.fleet.cancel(onB.id(),
                CancellationReason.requested("cancelled by an operator", "operator:alice"));

        assertThat(cancelled).hasValueSatisfying(task -> {
            assertThat(task.instance()).isEqualTo("b");
            assertThat(task.info().state()).isIn(TaskState.CANCELLING, TaskState.CLEANING_UP, TaskState.CANCELLED);
            assertThat(task.info().reason().kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
            assertThat(task.info().reason().origin()).isEqualTo("operator:alice via a");
        });
        onB.assertCancelled();
        assertThat(cleanupThread.get(20, TimeUnit.SECONDS)).endsWith(" / operator:alice via a");
        await().atMost(PROMPTLY).until(() -> b.registry.findIncludingHistory(onB.id())
                .map(TaskInfo::state).orElseThrow() == TaskState.CANCELLED);
        assertThat(b.fleet.counters().receivedCount()).isPositive();
        assertThat(a.fleet.counters().sentCount()).isPositive();
    }

    @Test
    void findsATaskOfAnotherInstanceAndAnswersEmptyOnlyWhenEveryInstanceSaidNo() {
        RunningTasks.Running onB = b.tasks.start("report");

        assertThat(a.fleet.find(onB.id())).hasValueSatisfying(task -> {
            assertThat(task.instance()).isEqualTo("b");
            assertThat(task.info().name()).isEqualTo("report");
        });
        assertThat(a.fleet.find("0123456789abcdef")).isEmpty();
        assertThat(a.fleet.cancel("0123456789abcdef", CancellationReason.requested("operator:alice"))).isEmpty();
    }

    @Test
    void cancelsByNameOnEveryOtherInstance() {
        RunningTasks.Running first = b.tasks.start("sync");
        RunningTasks.Running second = b.tasks.start("sync");
        RunningTasks.Running other = b.tasks.start("report");

        List<RemoteTask> cancelled = a.fleet.cancelAll("sync", CancellationReason.requested("operator:bob"), false);

        assertThat(cancelled).extracting(task -> task.info().id())
                .containsExactlyInAnyOrder(first.id(), second.id());
        assertThat(cancelled).allSatisfy(task -> assertThat(task.instance()).isEqualTo("b"));
        first.assertCancelled();
        second.assertCancelled();
        assertThat(other.handle().token().isCancelled()).isFalse();
    }

    @Test
    void anInstanceThatDoesNotAnswerIsNamedInsteadOfANotFound() {
        // an instance listed as live that never answers (hung, or killed and not yet expired)
        raw.opsForZSet().add("cancellation:fleet:orders-" + fleets + ":members", "ghost",
                System.currentTimeMillis() + 60_000);

        long started = System.nanoTime();
        assertThatThrownBy(() -> a.fleet.cancel("0123456789abcdef", CancellationReason.requested("operator:alice")))
                .isInstanceOf(FleetUnavailableException.class)
                .hasMessageContaining("ghost")
                .hasMessageContaining("did not answer within 1000 ms")
                .hasMessageContaining("Redis at 127.0.0.1:" + redis.port());
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(PROMPTLY);
    }

    @Test
    void invalidAndForeignMessagesAreIgnoredAndCountedAndTheListenerKeepsWorking() {
        RunningTasks.Running onB = b.tasks.start("report");
        String requests = "cancellation:fleet:orders-" + fleets + ":requests";
        long expiresAt = System.currentTimeMillis() + 60_000;
        List<String> bad = List.of(
                "not json at all",
                "[1,2,3]",
                "{\"v\":2,\"fleet\":\"orders-" + fleets + "\"}",
                request("some-other-fleet", "cancel", onB.id(), expiresAt),
                request("orders-" + fleets, "format-disk", onB.id(), expiresAt),
                request("orders-" + fleets, "cancel", onB.id(), System.currentTimeMillis() - 1));
        bad.forEach(message -> raw.convertAndSend(requests, message));

        // the unsigned ones are rejected (the fleet has a key) before any other check
        await().atMost(PROMPTLY).until(() -> b.fleet.counters().failedCount() + b.fleet.counters().rejectedCount()
                >= bad.size());
        assertThat(onB.handle().token().isCancelled()).as("no invalid, foreign or expired request cancels")
                .isFalse();
        assertThat(a.fleet.cancel(onB.id(), CancellationReason.requested("operator:alice"))).isPresent();
        onB.assertCancelled();
    }

    private static String request(String fleet, String type, String id, long expiresAt) {
        return "{\"v\":1,\"fleet\":\"" + fleet + "\",\"type\":\"" + type + "\",\"from\":\"mallory\","
                + "\"requestId\":\"r1\",\"expiresAt\":" + expiresAt + ",\"id\":\"" + id + "\","
                + "\"message\":\"m\",\"origin\":\"o\"}";
    }

    @Test
    void publishesAtMostTheConfiguredNumberOfTasksAndCountsTheRest() throws InterruptedException {
        try (FleetMember small = new FleetMember(redis, new FleetSettings("orders-" + fleets, "small",
                FleetMember.HEARTBEAT, FleetMember.TIME_TO_LIVE, FleetMember.REQUEST_TIMEOUT, 2,
                "cancellation:fleet").withSecrets(List.of(FleetMember.KEY)))) {
            small.tasks.start("t1");
            small.tasks.start("t2");
            small.tasks.start("t3");

            await().atMost(PROMPTLY).until(() -> a.fleet.list(null, null).size() == 2);
            await().atMost(PROMPTLY).until(() -> small.fleet.lastPublished().omitted() == 1);
            assertThat(a.fleet.list(null, null)).extracting(task -> task.info().name()).containsExactly("t1", "t2");
        }
    }

    @Test
    void anInstanceThatStopsLeavesTheFleet() throws InterruptedException {
        b.tasks.start("report");
        await().atMost(PROMPTLY).until(() -> !a.fleet.list(null, null).isEmpty());

        b.close();

        assertThat(a.fleet.list(null, null)).isEmpty();
        assertThat(a.fleet.find("0123456789abcdef")).isEmpty();
        b = new FleetMember(redis, "orders-" + fleets, "b"); // for @AfterEach
    }
}
