package dev.cancellation.cluster;

import java.util.concurrent.TimeUnit;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The fleet's one clock: Redis {@code TIME}, as this instance estimates it from its own clock plus an offset that
 * every heartbeat measures again. Membership scores, their pruning, requests' expiry and the receivers' validity
 * window all use it, so that an instance whose own clock is behind or ahead is neither pruned while alive nor
 * refused as expired. Until the first heartbeat measures it, the offset is zero (this instance's clock).
 *
 * <p>Thread-safety: {@link #now()} from any thread; {@link #sync} from the heartbeat thread.
 */
final class FleetClock {

    private volatile long offsetMillis;

    /** The fleet's time in epoch milliseconds. */
    long now() {
        return System.currentTimeMillis() + offsetMillis;
    }

    /**
     * Reads Redis {@code TIME} on {@code template} and keeps the offset to this instance's clock; the round trip's
     * midpoint stands for the moment Redis answered.
     *
     * @return the fleet's time now
     */
    long sync(StringRedisTemplate template) {
        long before = System.currentTimeMillis();
        Long redisTime = template.execute((RedisCallback<Long>) connection ->
                connection.serverCommands().time(TimeUnit.MILLISECONDS));
        long after = System.currentTimeMillis();
        if (redisTime != null) {
            offsetMillis = redisTime - (before + after) / 2;
        }
        return now();
    }

    long offsetMillis() {
        return offsetMillis;
    }
}
