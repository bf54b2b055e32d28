package dev.cancellation.cluster;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Logs the fleet messages this instance ignores, without letting a foreign or hostile publisher flood the log.
 * <ul>
 * <li>{@link #log}: an invalid message (not JSON, another version or fleet, a missing field) is logged once per
 * kind of problem (a warning the first time, debug afterwards) and counted as failed.
 * <li>{@link #rejected}: a message refused for its origin or timing (its MAC does not verify, it is unsigned, a
 * replay, outside its validity window, a cancel without a fleet key) is counted as rejected and logged as a warning
 * at most once per {@link #WARN_INTERVAL_NANOS}, naming the sender it claims (which proves nothing) and how many were
 * rejected since the last warning; the others at debug level.
 * </ul>
 *
 * <p>Thread-safety: safe from any thread.
 */
final class InvalidMessageLog {

    private static final Log logger = LogFactory.getLog(InvalidMessageLog.class);

    /** How many distinct problems are remembered; past that, every new one is logged at debug level. */
    private static final int MAX_REMEMBERED = 64;

    /** At most one warning about rejected messages per minute. */
    static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    private final FleetCounters counters;

    private final AtomicLong nextWarning = new AtomicLong(System.nanoTime());

    private final LongAdder sinceWarning = new LongAdder();

    InvalidMessageLog(FleetCounters counters) {
        this.counters = counters;
    }

    void log(String what, RuntimeException problem) {
        counters.failed();
        String key = what + ": " + problem.getMessage();
        if (seen.size() < MAX_REMEMBERED && seen.add(key)) {
            logger.warn("Ignored an invalid fleet " + key + " (further ones like it are logged at debug level)");
        } else if (logger.isDebugEnabled()) {
            logger.debug("Ignored an invalid fleet " + key);
        }
    }

    /**
     * @param what the kind of message, e.g. {@code cancel request}
     * @param claimedSender the instance the message says it comes from (unproven), or {@code ?}
     * @param why why it was refused
     */
    void rejected(String what, String claimedSender, String why) {
        counters.rejected();
        sinceWarning.increment();
        String line = "Rejected a fleet " + what + " claiming to come from '" + printable(claimedSender) + "': "
                + why;
        long now = System.nanoTime();
        long next = nextWarning.get();
        if (now - next >= 0 && nextWarning.compareAndSet(next, now + WARN_INTERVAL_NANOS)) {
            long count = sinceWarning.sumThenReset();
            logger.warn(line + " (" + count + " rejected since the last such warning; the next one is logged at "
                    + "most a minute from now, the others at debug level; a sender that lacks the fleet key, or a "
                    + "publisher on Redis that is not part of the fleet, sends these)");
        } else if (logger.isDebugEnabled()) {
            logger.debug(line);
        }
    }

    /** {@code value} without control characters (a forged name must not forge log lines), cut to 64 characters. */
    static String printable(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 64));
        for (int i = 0; i < value.length() && out.length() < 64; i++) {
            char c = value.charAt(i);
            out.append((c < 0x20 || c == 0x7f) ? '?' : c);
        }
        return (value.length() > 64) ? out + "..." : out.toString();
    }
}
