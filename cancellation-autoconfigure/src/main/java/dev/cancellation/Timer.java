package dev.cancellation;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread shared by every deadline. Cancelled timers are removed from the queue at once, so a
 * closed source leaves nothing behind.
 */
final class Timer {

    private static final ScheduledThreadPoolExecutor EXECUTOR;

    static {
        EXECUTOR = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "cancellation-timer");
            thread.setDaemon(true);
            return thread;
        });
        EXECUTOR.setRemoveOnCancelPolicy(true);
        EXECUTOR.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    private Timer() {
    }

    /** For tests: the number of timers waiting to fire. */
    static int pending() {
        return EXECUTOR.getQueue().size();
    }

    static ScheduledFuture<?> schedule(Runnable action, Duration delay) {
        long nanos;
        try {
            nanos = delay.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE; // ~292 years: never, in practice
        }
        return EXECUTOR.schedule(() -> {
            try {
                action.run();
            } catch (Throwable ex) {
                Cancellation.LOGGER.log(System.Logger.Level.ERROR, "Timer action failed", ex);
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }
}
