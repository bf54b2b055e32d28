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
 * <p>Thread-safety: {@link #now()} from any thread; {@link #sync} from one thread at a time (the lifecycle's at
 * start, then the heartbeat's).
 */
final class FleetClock {

    private final LongSupplier localMillis;

    /** A measurement older than this is replaced by the next one whatever its round trip (clocks drift). */
    static final long MAX_SAMPLE_AGE_MILLIS = 60_000;

    /** The round trips within this much of the best one are as good as the best (loopback jitter). */
    static final long ROUND_TRIP_SLACK_MILLIS = 2;

    private volatile long offsetMillis;

    /** The round trip of the measurement in use; written by the heartbeat thread only. */
    private long bestRoundTrip = Long.MAX_VALUE;

    /** When (local ms) the measurement in use was taken; written by the heartbeat thread only. */
    private long measuredAt;

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
     * midpoint stands for the moment Redis answered, so the error is at most half the round trip. A measurement
     * over a slow round trip (a new connection, a loaded machine) is therefore ignored while a recent one over a
     * fast round trip exists: the estimate keeps the error of the best round trip of the last minute.
     *
     * @return the fleet's time now
     */
    long sync(StringRedisTemplate template) {
        long before = localMillis.getAsLong();
        Long redisTime = template.execute((RedisCallback<Long>) connection ->
                connection.serverCommands().time(TimeUnit.MILLISECONDS));
        long after = localMillis.getAsLong();
        long roundTrip = after - before;
        if (redisTime != null && (roundTrip <= bestRoundTrip + ROUND_TRIP_SLACK_MILLIS
                || after - measuredAt > MAX_SAMPLE_AGE_MILLIS)) {
            offsetMillis = redisTime - (before + after) / 2;
            bestRoundTrip = (after - measuredAt > MAX_SAMPLE_AGE_MILLIS) ? roundTrip
                    : Math.min(bestRoundTrip, roundTrip);
            measuredAt = after;
        }
        return now();
    }

    long offsetMillis() {
        return offsetMillis;
    }
}
