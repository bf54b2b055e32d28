package dev.cancellation.cluster;

import dev.cancellation.actuate.RunningTasks;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.List;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Test support: one fleet member in this JVM (its own registry, Redis connection and {@link RedisFleet}), with
 * fast heartbeats so that tests wait little; by default with the shared test key, so that members may cancel
 * across instances.
 */
final class FleetMember implements AutoCloseable {

    static final Duration HEARTBEAT = Duration.ofMillis(200);

    static final Duration TIME_TO_LIVE = Duration.ofMillis(1500);

    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(1);

    /** The key the members of a test fleet share unless a test says otherwise. */
    static final String KEY = "test-fleet-key-0123456789abcdefghijklmnop";

    final TaskRegistry registry = new TaskRegistry();

    final RunningTasks tasks = new RunningTasks(registry);

    final LettuceConnectionFactory connectionFactory;

    final RedisFleet fleet;

    /** A member with the shared test {@link #KEY}. */
    FleetMember(TestRedis redis, String fleetName, String instance) {
        this(redis, settings(fleetName, instance, List.of(KEY)));
    }

    static FleetSettings settings(String fleetName, String instance, List<String> keys) {
        return new FleetSettings(fleetName, instance, HEARTBEAT, TIME_TO_LIVE, REQUEST_TIMEOUT, 1000,
                "cancellation:fleet", keys, FleetSettings.DEFAULT_CLOCK_SKEW);
    }

    FleetMember(TestRedis redis, FleetSettings settings) {
        this(redis, settings, new FleetClock());
    }

    /** A member whose own clock is {@code clock}'s; a member that cannot start releases its connection. */
    FleetMember(TestRedis redis, FleetSettings settings, FleetClock clock) {
        connectionFactory = redis.connectionFactory();
        fleet = new RedisFleet(settings, registry, connectionFactory, "Redis at 127.0.0.1:" + redis.port(), clock);
        try {
            fleet.start();
        } catch (RuntimeException ex) {
            fleet.stop();
            registry.close();
            connectionFactory.destroy();
            throw ex;
        }
    }

    @Override
    public void close() throws InterruptedException {
        fleet.stop();
        tasks.close();
        registry.close();
        connectionFactory.destroy();
    }
}
