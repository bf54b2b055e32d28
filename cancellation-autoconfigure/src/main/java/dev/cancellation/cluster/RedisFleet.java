package dev.cancellation.cluster;

import dev.cancellation.CancellationReason;
import dev.cancellation.actuate.FleetTasks;
import dev.cancellation.actuate.FleetUnavailableException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The fleet on Redis: this instance's {@link FleetMembership membership} (heartbeat and published tasks) and its
 * {@link FleetMessaging messaging} (lookups and cancels across instances), behind the {@link FleetTasks} that the
 * {@code cancellation} endpoint uses.
 *
 * <p>The list reads what the other instances last published (at most one heartbeat interval old). Lookups and
 * cancels ask every other live instance and wait (at most the request timeout) for all of them to answer, so that
 * "not found" means that no live instance has the task; when an instance that may have it does not answer, the
 * answer is a {@link FleetUnavailableException} naming it. Redis being down never affects local tasks, local
 * lookups or shutdown; fleet operations then fail fast with a {@link FleetUnavailableException} naming Redis, and
 * the instance rejoins by itself at the first heartbeat that gets through.
 *
 * <p>Security: with a fleet key ({@link FleetSettings#secrets()}) every message and snapshot is signed
 * ({@link FleetSigner}), and a request is carried out only within its validity window and once; without one, the
 * instances answer look-ups but never cancel across instances. Messages are not encrypted: whoever reads Redis
 * reads task names, ids and reasons. The endpoint's access rules apply to the instance that receives the
 * operator's request.
 *
 * <p>Thread-safety: the {@link FleetTasks} methods and queries are safe from any thread; the lifecycle methods are
 * called by the application context.
 */
public final class RedisFleet implements FleetTasks, SmartLifecycle {

    private static final Log logger = LogFactory.getLog(RedisFleet.class);

    private final FleetSettings settings;

    private final FleetRedis redis;

    private final FleetCounters counters = new FleetCounters();

    private final InvalidMessageLog invalid = new InvalidMessageLog(counters);

    private final FleetMembership membership;

    private final FleetMessaging messaging;

    private final FleetSigner signer;

    private volatile boolean running;

    /**
     * A fleet member over {@code registry}, on the Redis server of {@code connectionFactory}.
     *
     * @param redisDescription how messages name the server, e.g. {@code Redis at 127.0.0.1:6379}
     */
    public RedisFleet(FleetSettings settings, TaskRegistry registry, RedisConnectionFactory connectionFactory,
            String redisDescription) {
        this(settings, registry, connectionFactory, redisDescription, new FleetClock());
    }

    /** A fleet member whose own clock is {@code clock}'s local one (tests: a clock that is off). */
    RedisFleet(FleetSettings settings, TaskRegistry registry, RedisConnectionFactory connectionFactory,
            String redisDescription, FleetClock clock) {
        this.settings = settings;
        FleetKeys keys = new FleetKeys(settings.keyPrefix(), settings.fleet());
        FleetWire wire = new FleetWire(settings.fleet());
        this.signer = new FleetSigner(settings.secrets());
        this.redis = new FleetRedis(new StringRedisTemplate(connectionFactory), settings.requestTimeout(),
                redisDescription);
        this.messaging = new FleetMessaging(settings, keys, wire, redis, registry, counters, invalid, signer, clock,
                connectionFactory);
        this.membership = new FleetMembership(settings, keys, wire, redis, registry, signer, clock, invalid,
                messaging::ensureListening);
    }

    @Override
    public String instanceId() {
        return settings.instanceId();
    }

    /** The fleet's name. */
    public String fleet() {
        return settings.fleet();
    }

    /** The settings this member runs with. */
    public FleetSettings settings() {
        return settings;
    }

    /** Whether the last heartbeat reached Redis (so the other instances see this one). */
    public boolean isInFleet() {
        return membership.isInFleet();
    }

    /** Why the instance is not in the fleet; {@code null} while it is. */
    public @Nullable String problem() {
        return membership.problem();
    }

    /** How many live tasks the last heartbeat published, and how many it left out (over the limit). */
    public Published lastPublished() {
        return new Published(membership.lastPublished(), membership.lastOmitted());
    }

    /**
     * What a heartbeat published.
     *
     * @param tasks how many live tasks it listed
     * @param omitted how many more were live but over {@link FleetSettings#maxPublishedTasks()}
     */
    public record Published(int tasks, int omitted) {
    }

    /** Counts of the messages this instance sent and received. */
    public FleetCounters counters() {
        return counters;
    }

    /** Publishes one heartbeat now, on the calling thread (the heartbeat thread does so every interval). */
    public void heartbeat() {
        membership.beat();
    }

    /** The JSON snapshot a heartbeat publishes now (what a heartbeat costs, without Redis). */
    public String snapshot() {
        return membership.snapshot();
    }

    @Override
    public List<RemoteTask> list(@Nullable String name, @Nullable TaskState state) {
        Map<String, FleetWire.Snapshot> snapshots = membership.snapshots("list the fleet's tasks");
        Instant now = Instant.now();
        List<RemoteTask> tasks = new ArrayList<>();
        snapshots.forEach((instance, snapshot) -> {
            if (instance.equals(settings.instanceId())) {
                return;
            }
            for (FleetWire.WireTask task : snapshot.tasks()) {
                TaskInfo info = task.toInfo(now);
                if ((name == null || name.equals(info.name())) && (state == null || state == info.state())) {
                    tasks.add(new RemoteTask(instance, info));
                }
            }
        });
        return tasks;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException (a 400 through the endpoint) if {@code id} is longer than the wire allows
     */
    @Override
    public Optional<RemoteTask> find(String id) {
        FleetLimits.requireFits("task id", id);
        return single("look up task " + id, FleetWire.FIND, id, null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Without a fleet key, the task is looked up and, if another instance runs it, the cancel is refused with a
     * {@link FleetUnavailableException} (a 503) that says how to set the key: the other instances would refuse an
     * unsigned cancel anyway.
     *
     * @throws IllegalArgumentException (a 400 through the endpoint) if {@code id} is longer than the wire allows
     */
    @Override
    public Optional<RemoteTask> cancel(String id, CancellationReason reason) {
        FleetLimits.requireFits("task id", id);
        if (!signer.enabled()) {
            Optional<RemoteTask> found = single("look up task " + id, FleetWire.FIND, id, null);
            found.ifPresent(task -> {
                throw noKey("cancel task " + id + " on instance " + task.instance(), "or cancel it through instance "
                        + task.instance() + " itself");
            });
            return found;
        }
        return single("cancel task " + id, FleetWire.CANCEL, id, reason);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Without a fleet key, refused with a {@link FleetUnavailableException} (a 503) that says how to set the key.
     *
     * @throws IllegalArgumentException (a 400 through the endpoint) if {@code name} is longer than the wire allows
     */
    @Override
    public List<RemoteTask> cancelAll(String name, CancellationReason reason, boolean interrupt) {
        FleetLimits.requireFits("task name", name);
        String what = "cancel the tasks named " + name;
        if (!signer.enabled()) {
            throw noKey(what + " on the other instances", "or cancel them through each instance with scope=local");
        }
        FleetMessaging.Answers answers = ask(what, messaging.request(FleetWire.CANCEL_ALL, null, name, interrupt,
                reason));
        List<RemoteTask> tasks = tasks(answers);
        if (answers.incomplete()) {
            throw silent(what, answers.silent(), tasks.size() + " tasks were cancelled on the instances that did");
        }
        return tasks;
    }

    private Optional<RemoteTask> single(String what, String type, String id, @Nullable CancellationReason reason) {
        FleetMessaging.Answers answers = ask(what, messaging.request(type, id, null, null, reason));
        List<RemoteTask> tasks = tasks(answers);
        if (!tasks.isEmpty()) {
            return Optional.of(tasks.get(0));
        }
        if (answers.incomplete()) {
            throw silent(what, answers.silent(), "the task may run there");
        }
        return Optional.empty();
    }

    private FleetMessaging.Answers ask(String what, FleetWire.Request request) {
        Set<String> members = membership.otherMembers(what);
        return messaging.exchange(what, request, members);
    }

    private static List<RemoteTask> tasks(FleetMessaging.Answers answers) {
        Instant now = Instant.now();
        List<RemoteTask> tasks = new ArrayList<>();
        for (FleetWire.Reply reply : answers.replies()) {
            for (FleetWire.WireTask task : reply.tasks()) {
                tasks.add(new RemoteTask(reply.from(), task.toInfo(now)));
            }
        }
        return tasks;
    }

    private FleetUnavailableException noKey(String what, String alternative) {
        return new FleetUnavailableException("Could not " + what + ": fleet '" + settings.fleet() + "' has no key, "
                + "and its instances carry out only cancels signed with one. Set the same "
                + "cancellation.cluster.secret (at least " + FleetSettings.MIN_SECRET_BYTES + " bytes, e.g. from "
                + "'openssl rand -base64 32') on every instance, " + alternative);
    }

    private FleetUnavailableException silent(String what, Set<String> silent, String consequence) {
        Duration timeout = settings.requestTimeout();
        return new FleetUnavailableException("Could not " + what + ": instance(s) " + String.join(", ", silent)
                + " of fleet '" + settings.fleet() + "' did not answer within " + timeout.toMillis() + " ms over "
                + redis.description() + "; " + consequence);
    }

    /**
     * {@code SmartLifecycle.DEFAULT_PHASE - 2048}: started before, and stopped after, the web server's graceful
     * shutdown and the task registry's (both {@code DEFAULT_PHASE - 1024}), so that while the instance drains its
     * tasks it stays in the fleet and answers for them.
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 2048;
    }

    /**
     * Checks that no other live instance has this instance id, then starts the heartbeat; the first one also
     * subscribes to the fleet's channels.
     *
     * @throws DuplicateInstanceException if another live instance publishes under this instance id
     */
    @Override
    public void start() {
        if (!signer.enabled()) {
            logger.warn("Fleet '" + settings.fleet() + "' runs without a key: its instances list and look up each "
                    + "other's tasks but refuse to cancel across instances. Set the same cancellation.cluster.secret "
                    + "(at least " + FleetSettings.MIN_SECRET_BYTES + " bytes) on every instance to allow it");
        }
        membership.start();
        running = true;
    }

    /** Leaves the fleet and releases the threads; a stopped member cannot be started again. */
    @Override
    public void stop() {
        running = false;
        membership.stop();
        messaging.stop();
        redis.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
