package dev.cancellation.cluster;

import dev.cancellation.CancellationReason;
import dev.cancellation.actuate.FleetUnavailableException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.Message;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * Requests between the instances of a fleet and their replies, over Redis pub/sub. A request goes to every
 * instance on the fleet's request channel; each other live instance answers on the sender's reply channel with
 * the matching tasks it has (none if it has none), so that the sender knows when every live instance has answered.
 *
 * <p>Incoming messages are handled on this class's own daemon threads ({@code cancellation-fleet-listener-N}),
 * never on the Redis client's I/O threads; a cancel runs the task's cancel callbacks there. Every message is
 * validated; an invalid or foreign one is logged once and ignored, and nothing it contains can stop the listener.
 *
 * <p>With a fleet key, every message is sealed by {@link FleetSigner} and only messages that verify are read. A
 * request is carried out only inside its validity window as this instance sees it on the {@link FleetClock} (not
 * expired, and expiring no further than {@code request-timeout + clock-skew} ahead) and only once (its id is
 * remembered by {@link FleetReplayGuard} until it expires). Without a key, look-ups are answered, cancels never.
 * Rejected messages are counted and logged rate-limited by {@link InvalidMessageLog#rejected}.
 *
 * <p>Thread-safety: {@link #exchange} from any thread, concurrently.
 */
final class FleetMessaging implements MessageListener {

    /**
     * How many accepted request ids are remembered (each for its validity window, a few seconds): far more than a
     * fleet sends in that time; when full, requests are refused until some expire.
     */
    static final int MAX_REMEMBERED_REQUESTS = 10_000;

    private final FleetSettings settings;

    private final FleetKeys keys;

    private final FleetWire wire;

    private final FleetRedis redis;

    private final TaskRegistry registry;

    private final FleetCounters counters;

    private final InvalidMessageLog invalid;

    private final FleetSigner signer;

    private final FleetClock clock;

    private final FleetReplayGuard replays = new FleetReplayGuard(MAX_REMEMBERED_REQUESTS);

    private final Map<String, PendingRequest> pending = new ConcurrentHashMap<>();

    private final ThreadPoolExecutor listenerThreads;

    private final RedisConnectionFactory connectionFactory;

    /** The current subscription; replaced when it could not start (Redis down at startup). */
    private volatile @Nullable RedisMessageListenerContainer container;

    private volatile boolean stopped;

    FleetMessaging(FleetSettings settings, FleetKeys keys, FleetWire wire, FleetRedis redis, TaskRegistry registry,
            FleetCounters counters, InvalidMessageLog invalid, FleetSigner signer, FleetClock clock,
            RedisConnectionFactory connectionFactory) {
        this.signer = signer;
        this.clock = clock;
        this.settings = settings;
        this.keys = keys;
        this.wire = wire;
        this.redis = redis;
        this.registry = registry;
        this.counters = counters;
        this.invalid = invalid;
        this.connectionFactory = connectionFactory;
        // a full queue drops the message (counted as failed); its sender then counts no answer from us
        this.listenerThreads = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024),
                FleetRedis.daemonThreads("cancellation-fleet-listener-"), (rejected, executor) -> counters.failed());
        this.listenerThreads.allowCoreThreadTimeOut(true);
    }

    /**
     * Subscribes to the fleet's channels unless already subscribed. The container re-subscribes by itself after
     * a lost connection; this only starts one when none could be started yet (Redis down at startup). Called from
     * the heartbeat thread.
     *
     * @return whether a subscription is in place (else the heartbeat is not published: an instance that cannot
     *     hear requests must not be counted on to answer them)
     */
    boolean ensureListening() {
        RedisMessageListenerContainer current = container;
        if (current != null && current.isRunning()) {
            return true;
        }
        if (stopped) {
            return false;
        }
        if (current != null) {
            destroy(current);
        }
        RedisMessageListenerContainer fresh = new RedisMessageListenerContainer();
        fresh.setConnectionFactory(connectionFactory);
        fresh.setTaskExecutor(listenerThreads);
        fresh.setRecoveryInterval(settings.heartbeatInterval().toMillis());
        fresh.setBeanName("cancellation-fleet");
        fresh.addMessageListener(this, List.of(new ChannelTopic(keys.requests()),
                new ChannelTopic(keys.replies(settings.instanceId()))));
        container = fresh;
        try {
            fresh.afterPropertiesSet();
            fresh.start();
            return fresh.isRunning();
        } catch (RuntimeException ex) {
            destroy(fresh);
            container = null;
            throw new FleetUnavailableException("Could not subscribe to the fleet's channels on "
                    + redis.description() + ": " + FleetRedis.rootMessage(ex), ex);
        }
    }

    void stop() {
        stopped = true;
        RedisMessageListenerContainer current = container;
        container = null;
        if (current != null) {
            destroy(current);
        }
        listenerThreads.shutdownNow();
    }

    private static void destroy(RedisMessageListenerContainer container) {
        try {
            container.stop();
            container.destroy();
        } catch (Exception ex) {
            // the container logs its own failures; stopping goes on
        }
    }

    /**
     * Sends {@code request} to the other live instances and waits (at most the request timeout) until each has
     * answered.
     *
     * @return the replies that arrived, and the instances that did not answer in time
     */
    Answers exchange(String what, FleetWire.Request request, Set<String> members) {
        if (members.isEmpty()) {
            return new Answers(List.of(), Set.of());
        }
        PendingRequest waiting = new PendingRequest(members);
        pending.put(request.requestId(), waiting);
        try {
            String json = signer.seal(keys.requests(), wire.encode(request));
            try {
                redis.call(what, template -> template.convertAndSend(keys.requests(), json));
                counters.sent();
            } catch (FleetUnavailableException ex) {
                counters.failed();
                throw ex;
            }
            return waiting.await(settings.requestTimeout());
        } finally {
            pending.remove(request.requestId());
        }
    }

    /** A new request from this instance, expiring when its sender stops waiting for answers. */
    FleetWire.Request request(String type, @Nullable String id, @Nullable String name, @Nullable Boolean interrupt,
            @Nullable CancellationReason reason) {
        return new FleetWire.Request(FleetWire.VERSION, settings.fleet(), type, settings.instanceId(),
                UUID.randomUUID().toString(), clock.now() + settings.requestTimeout().toMillis(), id,
                name, interrupt, (reason != null) ? reason.message() : null,
                (reason != null) ? reason.origin() + " via " + settings.instanceId() : null);
    }

    @Override
    public void onMessage(Message message, byte @Nullable [] pattern) {
        counters.received();
        String channel = new String(message.getChannel(), StandardCharsets.UTF_8);
        String body = new String(message.getBody(), StandardCharsets.UTF_8);
        boolean request = channel.equals(keys.requests());
        try {
            FleetSigner.Opened opened = signer.open(channel, body);
            if (request) {
                onRequest(wire.decodeRequest(opened.json()), opened.authenticated());
            } else {
                onReply(wire.decodeReply(opened.json()));
            }
        } catch (FleetSigner.Unverifiable ex) {
            invalid.rejected(request ? "request" : "reply", wire.claimedSender(body), ex.getMessage()
                    + " (this instance " + (signer.enabled() ? "accepts only messages signed with a fleet key"
                    : "has no fleet key") + ")");
        } catch (FleetWire.InvalidMessage ex) {
            invalid.log("message", ex);
        } catch (RuntimeException ex) {
            invalid.log("message (failed to handle it)", ex);
        }
    }

    private void onRequest(FleetWire.Request request, boolean authenticated) {
        if (request.from().equals(settings.instanceId())) {
            return; // our own request, already answered locally
        }
        String what = request.type() + " request";
        long now = clock.now();
        if (now > request.expiresAt()) {
            // its sender has answered without us: carrying it out now would contradict that answer
            invalid.rejected(what, request.from(), "expired " + (now - request.expiresAt())
                    + " ms ago (its sender stopped waiting)");
            return;
        }
        long latest = now + settings.requestTimeout().toMillis() + settings.clockSkew().toMillis();
        if (request.expiresAt() > latest) {
            // a sender expires its requests after request-timeout: a later expiry is forged or from a clock far off
            invalid.rejected(what, request.from(), "expires " + (request.expiresAt() - now) + " ms from now, more than "
                    + "request-timeout + clock-skew (" + (latest - now) + " ms)");
            return;
        }
        if (!FleetWire.FIND.equals(request.type()) && !authenticated) {
            invalid.rejected(what, request.from(), "a cancel is carried out only when signed with the fleet key, "
                    + "and this instance has none (set cancellation.cluster.secret on every instance)");
            return;
        }
        if (authenticated) {
            FleetReplayGuard.Outcome outcome = replays.firstTime(request.from() + "/" + request.requestId(),
                    request.expiresAt(), now);
            if (outcome != FleetReplayGuard.Outcome.FIRST) {
                invalid.rejected(what, request.from(), (outcome == FleetReplayGuard.Outcome.REPLAYED)
                        ? "request id " + FleetWire.abbreviate(request.requestId()) + " was already carried out (a "
                                + "replay)"
                        : "more than " + MAX_REMEMBERED_REQUESTS + " requests in their validity window");
                return;
            }
        }
        List<TaskInfo> tasks = switch (request.type()) {
            case FleetWire.FIND -> registry.findIncludingHistory(request.id()).map(List::of).orElse(List.of());
            case FleetWire.CANCEL -> {
                Optional<TaskInfo> cancelled = registry.cancel(request.id(), reason(request));
                yield cancelled.or(() -> registry.findIncludingHistory(request.id())).map(List::of)
                        .orElse(List.of());
            }
            default -> registry.cancelAll(request.name(), reason(request), Boolean.TRUE.equals(request.interrupt()));
        };
        FleetWire.Reply reply = new FleetWire.Reply(FleetWire.VERSION, settings.fleet(), settings.instanceId(),
                request.requestId(), tasks.stream().map(FleetWire.WireTask::of).toList());
        String channel = keys.replies(request.from());
        String json = signer.seal(channel, wire.encode(reply));
        try {
            redis.call("answer " + request.from(), template -> template.convertAndSend(channel, json));
            counters.sent();
        } catch (FleetUnavailableException ex) {
            counters.failed();
        }
    }

    private static CancellationReason reason(FleetWire.Request request) {
        return CancellationReason.requested(request.message(), request.origin());
    }

    private void onReply(FleetWire.Reply reply) {
        PendingRequest waiting = pending.get(reply.requestId());
        if (waiting != null) {
            waiting.answered(reply);
        } // else: a late answer to a request already answered
    }

    /**
     * What the other instances answered.
     *
     * @param replies the replies, in arrival order
     * @param silent the instances that did not answer in time
     */
    record Answers(List<FleetWire.Reply> replies, Set<String> silent) {

        /** Whether some instance that may hold the answer did not answer. */
        boolean incomplete() {
            return !silent.isEmpty();
        }
    }

    /** The answers awaited for one request. */
    private static final class PendingRequest {

        private final Set<String> expected;

        private final List<FleetWire.Reply> replies = new ArrayList<>();

        private final Set<String> answeredBy = new HashSet<>();

        private final ReentrantLock lock = new ReentrantLock();

        private final Condition changed = lock.newCondition();

        PendingRequest(Set<String> expected) {
            this.expected = new HashSet<>(expected);
        }

        void answered(FleetWire.Reply reply) {
            lock.lock();
            try {
                expected.remove(reply.from());
                // also from an instance that joined after the request was sent; once per instance
                if (answeredBy.add(reply.from())) {
                    replies.add(reply);
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        Answers await(Duration timeout) {
            long remaining = timeout.toNanos();
            lock.lock();
            try {
                while (!expected.isEmpty() && remaining > 0) {
                    remaining = changed.awaitNanos(remaining);
                }
                return new Answers(List.copyOf(replies), Set.copyOf(expected));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new FleetUnavailableException("Interrupted while waiting for the fleet's answers", ex);
            } finally {
                lock.unlock();
            }
        }
    }
}
