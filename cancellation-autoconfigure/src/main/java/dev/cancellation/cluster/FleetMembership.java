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
import java.util.UUID;
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
 * <p>An instance id is claimed at join: when another live instance already publishes under it (another
 * incarnation, published within two heartbeat intervals), {@link #start()} fails with a
 * {@link DuplicateInstanceException}; found at a later join (after Redis was unreachable), it is logged as an error
 * and this instance stays out of the fleet.
 *
 * <p>Thread-safety: {@link #start()} and {@link #stop()} from one thread (the context's lifecycle); the queries
 * from any thread.
 */
final class FleetMembership {

    /** The largest snapshot published: what a peer accepts, less room for the seal. */
    static final int MAX_SNAPSHOT_CHARS = FleetWire.MAX_MESSAGE_CHARS - 64;

    private static final Log logger = LogFactory.getLog(FleetMembership.class);

    private final FleetSettings settings;

    private final FleetKeys keys;

    private final FleetWire wire;

    private final FleetRedis redis;

    private final TaskRegistry registry;

    private final BooleanSupplier listening;

    private final FleetSigner signer;

    private final FleetClock clock;

    private final InvalidMessageLog invalid;

    /** Random per started instance: tells this process from another one with the same instance id. */
    private final String incarnation = UUID.randomUUID().toString();

    private volatile boolean inFleet;

    private volatile @Nullable String problem = "not started";

    private volatile int lastPublished;

    /** Whether the duplicate instance id found at the last joins was logged (written by the heartbeat thread). */
    private boolean duplicateLogged;

    private volatile int lastOmitted;

    private volatile @Nullable ScheduledExecutorService heartbeat;

    /**
     * @param listening makes sure this instance listens to the fleet's channels, and says whether it does
     */
    FleetMembership(FleetSettings settings, FleetKeys keys, FleetWire wire, FleetRedis redis, TaskRegistry registry,
            FleetSigner signer, FleetClock clock, InvalidMessageLog invalid, BooleanSupplier listening) {
        this.signer = signer;
        this.clock = clock;
        this.invalid = invalid;
        this.listening = listening;
        this.settings = settings;
        this.keys = keys;
        this.wire = wire;
        this.redis = redis;
        this.registry = registry;
    }

    /**
     * Checks that no other live instance has this instance id (when Redis answers within the timeout; else the first
     * heartbeat that gets through checks), then starts the heartbeat.
     *
     * @throws DuplicateInstanceException if another live instance publishes under this instance id
     */
    void start() {
        try {
            redis.call("check the instance id", template -> {
                checkUnique(template, clock.sync(template));
                return null;
            });
        } catch (FleetUnavailableException ex) {
            if (ex.getCause() instanceof DuplicateInstanceException duplicate) {
                throw duplicate;
            }
            // Redis unreachable now: the heartbeat checks when it joins
        }
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
            boolean joining = !inFleet;
            redis.call("publish the heartbeat", template -> {
                long now = clock.sync(template);
                if (joining) {
                    checkUnique(template, now);
                }
                write(template, signer.seal(keys.instance(settings.instanceId()), snapshot), ttl, now);
                return null;
            });
            if (!inFleet) {
                logger.info("Instance " + settings.instanceId() + " is in fleet '" + settings.fleet() + "' on "
                        + redis.description());
            }
            problem = null;
            inFleet = true;
            duplicateLogged = false;
        } catch (FleetUnavailableException ex) {
            if (ex.getCause() instanceof DuplicateInstanceException duplicate) {
                if (!duplicateLogged) { // once per episode: the message's age changes with every heartbeat
                    logger.error(duplicate.getMessage() + "; this instance stays out of the fleet until it is gone");
                    duplicateLogged = true;
                }
                problem = duplicate.getMessage();
                inFleet = false;
                return;
            }
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
    private void write(StringRedisTemplate template, String snapshot, long ttl, long now) {
        template.opsForValue().set(keys.instance(settings.instanceId()), snapshot, Duration.ofMillis(ttl));
        template.opsForZSet().add(keys.members(), settings.instanceId(), now + ttl);
        template.opsForZSet().removeRangeByScore(keys.members(), Double.NEGATIVE_INFINITY, now);
    }

    /**
     * This instance's snapshot as published: the oldest live tasks first, at most the configured number and at most
     * what fits in {@link #MAX_SNAPSHOT_CHARS} (the rest counted as omitted).
     */
    String snapshot() {
        List<TaskInfo> live = registry.list();
        int limit = Math.min(live.size(), settings.maxPublishedTasks());
        List<FleetWire.WireTask> tasks = new ArrayList<>(limit);
        for (int i = 0; i < limit; i++) {
            tasks.add(FleetWire.WireTask.of(live.get(i)));
        }
        FleetWire.Encoded encoded = wire.encodeSnapshot(new FleetWire.Snapshot(FleetWire.VERSION, settings.fleet(),
                settings.instanceId(), clock.now(), tasks, live.size() - limit, incarnation), MAX_SNAPSHOT_CHARS);
        lastPublished = encoded.tasks();
        lastOmitted = live.size() - encoded.tasks();
        return encoded.json();
    }

    /**
     * @throws DuplicateInstanceException if the snapshot under this instance id is another incarnation's, published
     *     within two heartbeat intervals (a stopped or killed predecessor stops publishing, and is taken over)
     */
    private void checkUnique(StringRedisTemplate template, long now) {
        String key = keys.instance(settings.instanceId());
        String existing = template.opsForValue().get(key);
        if (existing == null) {
            return;
        }
        FleetWire.Snapshot other;
        try {
            other = wire.decodeSnapshot(signer.open(key, existing).json());
        } catch (FleetSigner.Unverifiable | FleetWire.InvalidMessage ex) {
            return; // not a fleet member's: overwritten, and nobody can keep this instance out by writing garbage
        }
        long age = now - other.at();
        if (other.incarnation() != null && !incarnation.equals(other.incarnation())
                && age <= 2 * settings.heartbeatInterval().toMillis()) {
            throw new DuplicateInstanceException("Another live instance of fleet '" + settings.fleet()
                    + "' has instance id '" + settings.instanceId() + "' (it published " + Math.max(age, 0)
                    + " ms ago on " + redis.description() + "): give each instance its own "
                    + "cancellation.cluster.instance-id, or leave it unset for <host>:<port>:<pid>");
        }
    }

    /**
     * The published snapshots of the live instances (this one included), by instance id; a snapshot that fails
     * validation is logged once and left out.
     */
    Map<String, FleetWire.Snapshot> snapshots(String what) {
        requireInFleet(what);
        long now = clock.now();
        Map<String, @Nullable String> raw = redis.call(what, template -> {
            Set<String> ids = template.opsForZSet().rangeByScore(keys.members(), now, Double.POSITIVE_INFINITY);
            if (ids == null || ids.isEmpty()) {
                return Map.of();
            }
            List<String> names = ids.stream().map(keys::instance).toList();
            List<@Nullable String> values = template.opsForValue().multiGet(names);
            Map<String, @Nullable String> byKey = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                byKey.put(names.get(i), (values != null && i < values.size()) ? values.get(i) : null);
            }
            return byKey;
        });
        Map<String, FleetWire.Snapshot> snapshots = new LinkedHashMap<>();
        raw.forEach((key, value) -> {
            if (value == null) {
                return; // expired between the two reads
            }
            try {
                FleetWire.Snapshot snapshot = wire.decodeSnapshot(signer.open(key, value).json());
                if (key.equals(keys.instance(snapshot.instance()))) {
                    snapshots.put(snapshot.instance(), snapshot);
                }
            } catch (FleetSigner.Unverifiable ex) {
                invalid.rejected("snapshot", wire.claimedSender(value), ex.getMessage());
            } catch (FleetWire.InvalidMessage ex) {
                invalid.log("snapshot", ex);
            }
        });
        return snapshots;
    }

    /** The ids of the other instances whose heartbeat has not expired. */
    Set<String> otherMembers(String what) {
        requireInFleet(what);
        long now = clock.now();
        Set<String> ids = redis.call(what, template -> template.opsForZSet().rangeByScore(keys.members(), now,
                Double.POSITIVE_INFINITY));
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
