package dev.cancellation.cluster;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Logs a rejected fleet message once per kind of problem (a warning the first time, debug afterwards), so that a
 * foreign or broken publisher on the channel cannot flood the log, and counts it as failed.
 *
 * <p>Thread-safety: safe from any thread.
 */
final class InvalidMessageLog {

    private static final Log logger = LogFactory.getLog(InvalidMessageLog.class);

    /** How many distinct problems are remembered; past that, every new one is logged at debug level. */
    private static final int MAX_REMEMBERED = 64;

    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    private final FleetCounters counters;

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
}
