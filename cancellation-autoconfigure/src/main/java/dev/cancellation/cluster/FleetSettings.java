package dev.cancellation.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * How an instance takes part in a fleet.
 *
 * @param fleet the fleet's name: instances with the same name (and Redis) see each other
 * @param instanceId this instance's id, unique in the fleet
 * @param heartbeatInterval how often the instance refreshes its heartbeat and publishes its live tasks
 * @param timeToLive how long a heartbeat lasts: an instance that stops refreshing it leaves the fleet after this
 * @param requestTimeout how long a fleet operation waits for Redis and for the other instances' answers
 * @param maxPublishedTasks how many live tasks a heartbeat publishes at most (the oldest first)
 * @param keyPrefix the prefix of every Redis key and channel
 */
public record FleetSettings(String fleet, String instanceId, Duration heartbeatInterval, Duration timeToLive,
        Duration requestTimeout, int maxPublishedTasks, String keyPrefix) {

    /** Checks the settings; a message names the setting and the value. */
    public FleetSettings {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
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
    }
}
