package dev.cancellation.cluster;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.actuate.FleetUnavailableException;
import dev.cancellation.actuate.RunningTasks;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The fleet when Redis fails: local work goes on, fleet calls answer at once with an error naming Redis, and the
 * members rejoin by themselves when Redis is back. Each test has its own Redis server, which it stops.
 */
class RedisFleetFaultTests {

    @Test
    void redisDownLeavesLocalWorkAloneFailsFleetCallsFastAndTheMembersRejoinWhenItIsBack() throws Exception {
        try (TestRedis redis = TestRedis.start();
                FleetMember a = new FleetMember(redis, "faults", "a");
                FleetMember b = new FleetMember(redis, "faults", "b")) {
            await().atMost(PROMPTLY).until(() -> a.fleet.isInFleet() && b.fleet.isInFleet());
            RunningTasks.Running before = b.tasks.start("before-outage");

            redis.stop();

            await().atMost(PROMPTLY).until(() -> !a.fleet.isInFleet() && !b.fleet.isInFleet());
            long started = System.nanoTime();
            assertThatThrownBy(() -> a.fleet.list(null, null)).isInstanceOf(FleetUnavailableException.class)
                    .hasMessageContaining("Redis at 127.0.0.1:" + redis.port())
                    .hasMessageContaining("not in fleet 'faults'");
            assertThatThrownBy(() -> a.fleet.cancel(before.id(), CancellationReason.requested("operator:alice")))
                    .isInstanceOf(FleetUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("fails fast, without waiting for Redis")
                    .isLessThan(FleetMember.REQUEST_TIMEOUT);
            // local work is unaffected: start, list and cancel a task on an instance cut off from the fleet
            RunningTasks.Running local = a.tasks.start("during-outage");
            assertThat(a.registry.list()).extracting(info -> info.id()).contains(local.id());
            assertThat(a.registry.cancel(local.id(), CancellationReason.requested("operator:alice"))).isPresent();
            local.assertCancelled();

            redis.startAgain();

            await().atMost(PROMPTLY).until(() -> a.fleet.isInFleet() && b.fleet.isInFleet());
            await().atMost(PROMPTLY).until(() -> a.fleet.list(null, null).stream()
                    .anyMatch(task -> task.info().id().equals(before.id())));
            // the subscriptions are back too: a cancel through a reaches b
            await().atMost(PROMPTLY).ignoreExceptionsInstanceOf(FleetUnavailableException.class)
                    .until(() -> a.fleet.cancel(before.id(), CancellationReason.requested("operator:alice"))
                            .isPresent());
            before.assertCancelled();
        }
    }

    @Test
    void aMemberStartedWhileRedisIsDownStartsAndStopsAtOnceAndJoinsWhenRedisComesUp() throws Exception {
        TestRedis redis = TestRedis.start();
        redis.stop();
        long started = System.nanoTime();
        FleetMember a = new FleetMember(redis, "late", "a");
        try {
            assertThat(a.fleet.isInFleet()).isFalse();
            RunningTasks.Running local = a.tasks.start("local");
            assertThat(a.registry.cancel(local.id(), CancellationReason.requested("operator:alice"))).isPresent();
            local.assertCancelled();

            redis.startAgain();

            await().atMost(PROMPTLY).until(a.fleet::isInFleet);
            try (FleetMember b = new FleetMember(redis, "late", "b")) {
                RunningTasks.Running onB = b.tasks.start("remote");
                await().atMost(PROMPTLY).ignoreExceptionsInstanceOf(FleetUnavailableException.class)
                        .until(() -> a.fleet.cancel(onB.id(), CancellationReason.requested("operator:alice"))
                                .isPresent());
                onB.assertCancelled();
            }
            redis.stop();
        } finally {
            long stopping = System.nanoTime();
            a.close();
            assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("stopping with Redis down is bounded")
                    .isLessThan(Duration.ofSeconds(10));
            redis.close();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
    }
}
