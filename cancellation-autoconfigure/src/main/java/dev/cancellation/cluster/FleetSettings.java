package dev.cancellation.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How an instance takes part in a fleet.
 *
 * <p>{@link #toString()} never shows the keys.
 *
 * @param fleet the fleet's name: instances with the same name (and Redis) see each other
 * @param instanceId this instance's id, unique in the fleet
 * @param heartbeatInterval how often the instance refreshes its heartbeat and publishes its live tasks
 * @param timeToLive how long a heartbeat lasts: an instance that stops refreshing it leaves the fleet after this
 * @param requestTimeout how long a fleet operation waits for Redis and for the other instances' answers
 * @param maxPublishedTasks how many live tasks a heartbeat publishes at most (the oldest first)
 * @param keyPrefix the prefix of every Redis key and channel
 * @param secrets the fleet's keys: the first signs every message, each one verifies (so that a key can be rotated);
 *     none means that this instance neither carries out nor sends cancels across instances
 * @param clockSkew how far apart the clocks of two instances may be when they judge a request's validity window
 */
public record FleetSettings(String fleet, String instanceId, Duration heartbeatInterval, Duration timeToLive,
        Duration requestTimeout, int maxPublishedTasks, String keyPrefix, List<String> secrets, Duration clockSkew) {

    /** The shortest key accepted, in bytes (UTF-8): the output size of HMAC-SHA256, as RFC 2104 recommends. */
    public static final int MIN_SECRET_BYTES = 32;

    /** The default {@link #clockSkew()}. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(1);

    /** Checks the settings; a message names the setting and the value (never a key). */
    public FleetSettings {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(clockSkew, "clockSkew");
        secrets = List.copyOf(secrets);
        if (fleet.isBlank() || instanceId.isBlank()) {
            throw new IllegalArgumentException("fleet name and instance id must not be blank");
        }
        if (fleet.length() > FleetWire.MAX_ID_LENGTH || instanceId.length() > FleetWire.MAX_ID_LENGTH) {
            throw new IllegalArgumentException("fleet name and instance id must have at most "
                    + FleetWire.MAX_ID_LENGTH + " characters");
        }
        if (timeToLive.compareTo(heartbeatInterval.multipliedBy(2)) <= 0) {
            throw new IllegalArgumentException("the heartbeat time to live (" + timeToLive
                    + ") must be more than twice the heartbeat interval (" + heartbeatInterval
                    + "), or one slow heartbeat drops the instance from the fleet");
        }
        if (maxPublishedTasks < 0) {
            throw new IllegalArgumentException("max published tasks must be at least 0, but was " + maxPublishedTasks);
        }
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("the clock skew allowance must not be negative, but was " + clockSkew);
        }
        for (int i = 0; i < secrets.size(); i++) {
            int bytes = secrets.get(i).getBytes(StandardCharsets.UTF_8).length;
            if (bytes < MIN_SECRET_BYTES) {
                // the length only: a key never appears in a message
                throw new IllegalArgumentException("cancellation.cluster.secret[" + i + "] has " + bytes
                        + " bytes; a fleet key needs at least " + MIN_SECRET_BYTES + " (e.g. the output of "
                        + "'openssl rand -base64 32')");
            }
        }
    }

    /** Settings without a fleet key and with the default clock skew allowance. */
    public FleetSettings(String fleet, String instanceId, Duration heartbeatInterval, Duration timeToLive,
            Duration requestTimeout, int maxPublishedTasks, String keyPrefix) {
        this(fleet, instanceId, heartbeatInterval, timeToLive, requestTimeout, maxPublishedTasks, keyPrefix,
                List.of(), DEFAULT_CLOCK_SKEW);
    }

    /** These settings with {@code keys} as the fleet's keys (the first signs). */
    public FleetSettings withSecrets(List<String> keys) {
        return new FleetSettings(fleet, instanceId, heartbeatInterval, timeToLive, requestTimeout, maxPublishedTasks,
                keyPrefix, keys, clockSkew);
    }

    /** Whether this instance has a fleet key (and so may cancel across instances). */
    public boolean signed() {
        return !secrets.isEmpty();
    }

    @Override
    public String toString() {
        return "FleetSettings[fleet=" + fleet + ", instanceId=" + instanceId + ", heartbeatInterval="
                + heartbeatInterval + ", timeToLive=" + timeToLive + ", requestTimeout=" + requestTimeout
                + ", maxPublishedTasks=" + maxPublishedTasks + ", keyPrefix=" + keyPrefix + ", secrets=("
                + secrets.size() + " hidden), clockSkew=" + clockSkew + "]";
    }
}
