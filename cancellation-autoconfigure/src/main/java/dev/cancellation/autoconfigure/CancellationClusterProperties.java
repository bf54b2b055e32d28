package dev.cancellation.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the fleet (several instances of one application seeing and cancelling each other's tasks
 * through Redis), bound from {@code cancellation.cluster.*}.
 *
 * <p>Every setter rejects nonsense with an {@link IllegalArgumentException} naming the property and the value,
 * which Boot reports as a bind failure at startup. The heartbeat's time to live must be more than twice its
 * interval; that is checked when the fleet is configured.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.cluster")
public class CancellationClusterProperties {

    /** Whether this instance joins its fleet (needs Spring Data Redis and a RedisConnectionFactory). */
    private boolean enabled;

    /**
     * The fleet's name: instances with the same name on the same Redis see each other. Unset means
     * {@code spring.application.name} (and {@code application} without one).
     */
    private @Nullable String name;

    /**
     * This instance's id, unique in the fleet. Unset means {@code <host>:<server.port>:<pid>} (without the port
     * when it is not set or random).
     */
    private @Nullable String instanceId;

    /** How often the instance refreshes its heartbeat and publishes its live tasks. */
    private Duration heartbeatInterval = Duration.ofSeconds(1);

    /**
     * How long a heartbeat lasts: an instance that stops (even killed) leaves the fleet at most this long after its
     * last heartbeat. Must be more than twice the heartbeat interval.
     */
    private Duration timeToLive = Duration.ofSeconds(10);

    /** How long a fleet operation waits for Redis and for the other instances' answers before answering 503. */
    private Duration requestTimeout = Duration.ofSeconds(2);

    /**
     * How many live tasks a heartbeat publishes at most (the oldest first); the rest are counted, not listed. A
     * snapshot also never exceeds what peers accept (8 MiB): past that, the tasks that do not fit are counted too.
     */
    private int maxPublishedTasks = 1000;

    /** The prefix of the fleet's Redis keys and channels. */
    private String keyPrefix = "cancellation:fleet";

    /**
     * The fleet's keys, the same on every instance: the first signs every fleet message (HMAC-SHA256), each one
     * verifies, so that a key is rotated by adding the new one second, then first, then removing the old. Each at
     * least 32 bytes (e.g. 'openssl rand -base64 32'; no commas when given as one comma-separated value). Unset: the
     * instances list and look up each other's tasks but refuse to cancel across instances.
     */
    private List<String> secret = new ArrayList<>();

    /**
     * How far apart two instances' clocks may be when a request's validity window is judged: a request is carried
     * out only if it expires no further than request-timeout plus this ahead of the receiver's clock (Redis TIME as
     * the instance tracks it).
     */
    private Duration clockSkew = Duration.ofSeconds(1);

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable String getName() {
        return name;
    }

    public void setName(@Nullable String name) {
        this.name = optionalText("cancellation.cluster.name", name);
    }

    public @Nullable String getInstanceId() {
        return instanceId;
    }

    public void setInstanceId(@Nullable String instanceId) {
        this.instanceId = optionalText("cancellation.cluster.instance-id", instanceId);
    }

    public Duration getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(Duration heartbeatInterval) {
        this.heartbeatInterval = positive("cancellation.cluster.heartbeat-interval", heartbeatInterval);
    }

    public Duration getTimeToLive() {
        return timeToLive;
    }

    public void setTimeToLive(Duration timeToLive) {
        this.timeToLive = positive("cancellation.cluster.time-to-live", timeToLive);
    }

    public Duration getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
        this.requestTimeout = positive("cancellation.cluster.request-timeout", requestTimeout);
    }

    public int getMaxPublishedTasks() {
        return maxPublishedTasks;
    }

    public void setMaxPublishedTasks(int maxPublishedTasks) {
        if (maxPublishedTasks < 0 || maxPublishedTasks > 100_000) {
            throw new IllegalArgumentException("cancellation.cluster.max-published-tasks must be between 0 and "
                    + "100000, but was " + maxPublishedTasks);
        }
        this.maxPublishedTasks = maxPublishedTasks;
    }

    public String getKeyPrefix() {
        return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        if (keyPrefix == null || keyPrefix.isBlank()) {
            throw new IllegalArgumentException("cancellation.cluster.key-prefix must not be blank");
        }
        this.keyPrefix = keyPrefix;
    }

    public List<String> getSecret() {
        return secret;
    }

    /**
     * Blank entries are ignored (an empty environment variable means no key). The length of each key is checked when
     * the fleet is configured, with a message that names the property and the length, never the key: a bind error
     * here would print the value.
     */
    public void setSecret(@Nullable List<String> secret) {
        this.secret = (secret == null) ? new ArrayList<>()
                : new ArrayList<>(secret.stream().filter(key -> key != null && !key.isBlank()).toList());
    }

    public Duration getClockSkew() {
        return clockSkew;
    }

    public void setClockSkew(Duration clockSkew) {
        if (clockSkew == null || clockSkew.isNegative() || clockSkew.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("cancellation.cluster.clock-skew must be between 0 and 1 minute, but "
                    + "was " + clockSkew);
        }
        this.clockSkew = clockSkew;
    }

    private static @Nullable String optionalText(String property, @Nullable String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.length() > 256 || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException(property + " must be at most 256 printable ASCII characters without "
                    + "spaces, but was '" + (value.length() > 64 ? value.substring(0, 64) + "..." : value) + "'");
        }
        return value;
    }

    private static Duration positive(String property, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(property + " must be a positive duration, but was " + value);
        }
        if (value.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException(property + " must be at most one day, but was " + value);
        }
        return value;
    }
}
