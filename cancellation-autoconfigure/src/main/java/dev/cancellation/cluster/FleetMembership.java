package dev.cancellation.cluster;

import dev.cancellation.actuate.FleetUnavailableException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * This instance's membership of the fleet: a heartbeat on its own daemon thread
 * ({@code cancellation-fleet-heartbeat}) that, every interval, writes the instance's {@link FleetWire.Snapshot}
 * (its live tasks, at most the configured number) under its key with the time to live, and its expiry in the
 * {@code members} set. An instance that stops (even killed) drops out when its key expires.
 *
 * <p>A heartbeat that fails (Redis down, slow, refusing) marks the instance out of the fleet and is retried every
 * interval; the first one that succeeds marks it in again. Local tasks never wait for any of this: the heartbeat
 * reads the registry's snapshot, and nothing here runs on the registry's timer.
 *
 * <p>Thread-safety: {@link #start()} and {@link #stop()} from one thread (the context's lifecycle); the queries
 * from any thread.
 */
final class FleetMembership {

    private static final Log logger = LogFactory.getLog(FleetMembership.class);

    private final FleetSettings settings;

    private final FleetKeys keys;

    private final FleetWire wire;

    private final FleetRedis redis;

    private final TaskRegistry registry;

    private final BooleanSupplier listening;

    private volatile boolean inFleet;

    private volatile @Nullable String problem = "not started";

    private volatile int lastPublished;

    private volatile int lastOmitted;

    private volatile @Nullable ScheduledExecutorService heartbeat;

    /**
     * @param listening makes sure this instance listens to the fleet's channels, and says whether it does
     */
    FleetMembership(FleetSettings settings, FleetKeys keys, FleetWire wire, FleetRedis redis, TaskRegistry registry,
            BooleanSupplier listening) {
        this.listening = listening;
        this.settings = settings;
        this.keys = keys;
        this.wire = wire;
        this.redis = redis;
        this.registry = registry;
    }

    void start() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                FleetRedis.daemonThreads("cancellation-fleet-heartbeat-"));
        executor.setRemoveOnCancelPolicy(true);
        heartbeat = executor;
        executor.scheduleWithFixedDelay(this::beat, 0, settings.heartbeatInterval().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Stops the heartbeat and, if Redis answers within the timeout, removes this instance from the fleet. */
    void stop() {
        ScheduledExecutorService executor = heartbeat;
        heartbeat = null;
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            executor.awaitTermination(redis.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (inFleet) {
            try {
                redis.call("leave the fleet", template -> {
                    template.delete(keys.instance(settings.instanceId()));
                    return template.opsForZSet().remove(keys.members(), settings.instanceId());
                });
            } catch (FleetUnavailableException ex) {
                logger.debug("Could not remove " + settings.instanceId() + " from the fleet (its heartbeat expires "
                        + "by itself): " + ex.getMessage());
            }
        }
        inFleet = false;
        problem = "stopped";
    }

    /** One heartbeat; never throws (a scheduled task that throws is never run again). */
    void beat() {
        try {
            if (!listening.getAsBoolean()) {
                throw new FleetUnavailableException("not subscribed to the fleet's channels on "
                        + redis.description());
            }
            String snapshot = snapshot();
            long ttl = settings.timeToLive().toMillis();
            redis.call("publish the heartbeat", template -> {
                write(template, snapshot, ttl);
                return null;
            });
            if (!inFleet) {
                logger.info("Instance " + settings.instanceId() + " is in fleet '" + settings.fleet() + "' on "
                        + redis.description());
            }
            problem = null;
            inFleet = true;
        } catch (FleetUnavailableException ex) {
            if (heartbeat == null || Thread.currentThread().isInterrupted()) {
                return; // stopping: the heartbeat was interrupted on purpose
            }
            if (inFleet || "not started".equals(problem)) {
                logger.warn("Instance " + settings.instanceId() + " is out of fleet '" + settings.fleet()
                        + "' (local tasks are unaffected; retrying every " + settings.heartbeatInterval().toMillis()
                        + " ms): " + ex.getMessage());
            }
            problem = ex.getMessage();
            inFleet = false;
        } catch (RuntimeException ex) {
            logger.error("Fleet heartbeat failed", ex);
            problem = FleetRedis.rootMessage(ex);
            inFleet = false;
        }
    }

    /**
     * The snapshot with its expiry, this member's expiry, and the pruning of expired members. Three commands on the
     * shared connection: Spring Data Redis pipelines on a dedicated connection, which costs more than the two round
     * trips it saves (measured by the benchmarks' FleetHarness).
     */
    private void write(StringRedisTemplate template, String snapshot, long ttl) {
        long now = System.currentTimeMillis();
        template.opsForValue().set(keys.instance(settings.instanceId()), snapshot, Duration.ofMillis(ttl));
        template.opsForZSet().add(keys.members(), settings.instanceId(), now + ttl);
        template.opsForZSet().removeRangeByScore(keys.members(), Double.NEGATIVE_INFINITY, now);
    }

    /** This instance's snapshot as published: the oldest live tasks first, at most the configured number. */
    String snapshot() {
        List<TaskInfo> live = registry.list();
        int limit = Math.min(live.size(), settings.maxPublishedTasks());
        List<FleetWire.WireTask> tasks = new ArrayList<>(limit);
        for (int i = 0; i < limit; i++) {
            tasks.add(FleetWire.WireTask.of(live.get(i)));
        }
        lastPublished = limit;
        lastOmitted = live.size() - limit;
        return wire.encode(new FleetWire.Snapshot(FleetWire.VERSION, settings.fleet(), settings.instanceId(),
                System.currentTimeMillis(), tasks, live.size() - limit));
    }

    /**
     * The published snapshots of the live instances (this one included), by instance id; a snapshot that fails
     * validation is logged once and left out.
     */
    Map<String, FleetWire.Snapshot> snapshots(String what, InvalidMessageLog invalid) {
        requireInFleet(what);
        List<@Nullable String> raw = redis.call(what, template -> {
            Set<String> ids = template.opsForZSet().rangeByScore(keys.members(), System.currentTimeMillis(),
                    Double.POSITIVE_INFINITY);
            if (ids == null || ids.isEmpty()) {
                return List.of();
            }
            List<@Nullable String> values = template.opsForValue().multiGet(ids.stream().map(keys::instance).toList());
            return (values != null) ? values : List.of();
        });
        Map<String, FleetWire.Snapshot> snapshots = new LinkedHashMap<>();
        for (String json : raw) {
            if (json == null) {
                continue; // expired between the two reads
            }
            try {
                FleetWire.Snapshot snapshot = wire.decodeSnapshot(json);
                snapshots.put(snapshot.instance(), snapshot);
            } catch (FleetWire.InvalidMessage ex) {
                invalid.log("snapshot", ex);
            }
        }
        return snapshots;
    }

    /** The ids of the other instances whose heartbeat has not expired. */
    Set<String> otherMembers(String what) {
        requireInFleet(what);
        Set<String> ids = redis.call(what, template -> template.opsForZSet().rangeByScore(keys.members(),
                System.currentTimeMillis(), Double.POSITIVE_INFINITY));
        Set<String> others = new LinkedHashSet<>((ids != null) ? ids : Set.of());
        others.remove(settings.instanceId());
        return others;
    }

    /**
     * @throws FleetUnavailableException if the last heartbeat failed, without waiting for Redis again
     */
    void requireInFleet(String what) {
        if (!inFleet) {
            throw new FleetUnavailableException("Could not " + what + ": instance " + settings.instanceId()
                    + " is not in fleet '" + settings.fleet() + "' (" + problem + ")");
        }
    }

    boolean isInFleet() {
        return inFleet;
    }

    @Nullable String problem() {
        return problem;
    }

    int lastPublished() {
        return lastPublished;
    }

    int lastOmitted() {
        return lastOmitted;
    }
}
