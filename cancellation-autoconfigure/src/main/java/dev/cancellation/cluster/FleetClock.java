package dev.cancellation.cluster;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
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

    private final LongSupplier localMillis;

    private volatile long offsetMillis;

    /** A clock over this instance's {@link System#currentTimeMillis()}. */
    FleetClock() {
        this(System::currentTimeMillis);
    }

    /** A clock over {@code localMillis} (tests: an instance whose own clock is off). */
    FleetClock(LongSupplier localMillis) {
        this.localMillis = localMillis;
    }

    /** The fleet's time in epoch milliseconds. */
    long now() {
        return localMillis.getAsLong() + offsetMillis;
    }

    /**
     * Reads Redis {@code TIME} on {@code template} and keeps the offset to this instance's clock; the round trip's
     * midpoint stands for the moment Redis answered.
     *
     * @return the fleet's time now
     */
    long sync(StringRedisTemplate template) {
        long before = localMillis.getAsLong();
        Long redisTime = template.execute((RedisCallback<Long>) connection ->
                connection.serverCommands().time(TimeUnit.MILLISECONDS));
        long after = localMillis.getAsLong();
        if (redisTime != null) {
            offsetMillis = redisTime - (before + after) / 2;
        }
        return now();
    }

    long offsetMillis() {
        return offsetMillis;
    }
}
