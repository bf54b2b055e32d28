package dev.cancellation.lifecycle;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.ShutdownReport;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * Shuts the {@link TaskRegistry} down gracefully when the application context closes: stops admitting tasks,
 * lets running ones drain, cancels the rest with reason {@code SHUTDOWN}, waits for them and their cleanups,
 * interrupts stragglers, abandons what is left, and logs one {@link ShutdownReport} (INFO, or WARN when something
 * was abandoned).
 *
 * <h2>Phase</h2>
 * {@link #DEFAULT_PHASE} is {@code SmartLifecycle.DEFAULT_PHASE - 1024}, the phase of Spring Boot's
 * {@code WebServerGracefulShutdownLifecycle} ({@code SMART_LIFECYCLE_PHASE}). Beans of one phase are stopped
 * together and Spring waits for all of them (up to {@code spring.lifecycle.timeout-per-shutdown-phase}), so:
 * <ul>
 *   <li>the web server stops accepting requests while this bean cancels the tasks of the requests in flight:
 *       those requests end with a {@code TaskCancelledException} instead of the server waiting for them;</li>
 *   <li>executors and schedulers ({@code ThreadPoolTaskExecutor}, {@code ThreadPoolTaskScheduler}, phase
 *       {@code ExecutorConfigurationSupport.DEFAULT_PHASE = Integer.MAX_VALUE / 2}) are stopped by the lifecycle
 *       in a later phase, so {@code @Async} and {@code @Scheduled} tasks are cancelled before the executors wait
 *       for them, and the beans a cleanup may call are still alive; the registry's own cleanup executor stays up
 *       until the registry's shutdown has finished.</li>
 * </ul>
 *
 * <h2>Cleanups must not hand work to application executors</h2>
 * Spring's executors start rejecting new work as soon as the context begins to close, before this phase runs:
 * since Spring Framework 6.1 a {@code ThreadPoolTaskExecutor}/{@code ThreadPoolTaskScheduler} (including Boot's
 * {@code applicationTaskExecutor}) listens for the {@code ContextClosedEvent} and, by default
 * ({@code acceptTasksAfterContextClose = false}), stops accepting tasks then ({@code TaskRejectedException}),
 * although it keeps running what it already has until its own phase. So a cleanup ({@code @OnCancel} method or
 * {@code CleanupAction}) that submits to {@code applicationTaskExecutor}, calls an {@code @Async} method or
 * schedules something fails during shutdown. Do the cleanup's work on the thread it is given (it is shielded and
 * bounded by {@code cancellation.cleanup.timeout}) or return a {@code CompletionStage} of work that is already
 * running. The registry itself never depends on them: cleanups run on its own cleanup executor and, when that is
 * saturated during shutdown, on the exiting task's own thread (so a mass shutdown loses none).
 *
 * The work runs on its own thread and completes the {@link #stop(Runnable)} callback when done, so the web
 * server's graceful shutdown proceeds in parallel rather than after it.
 *
 * <h2>Drains</h2>
 * With {@link ShutdownDrain}s ({@link #setDrains}), the registry's shutdown is preceded by their drain periods:
 * tasks a drain covers (the work of HTTP requests in flight) keep running until their work ends or the period
 * passes, and are then cancelled with reason {@code SHUTDOWN}; the other tasks, and tasks started meanwhile that no
 * drain covers, are cancelled at once (unless {@code drain-timeout} gives them a drain of their own). The drains run
 * as the first step of the registry's shutdown ({@link TaskRegistry#shutdown(Duration, Duration, boolean, Duration,
 * Runnable)}), so its report covers them: the tasks live before the drain are its {@code running}, and every task
 * cancelled with reason {@code SHUTDOWN} (a request the drain cancelled, its children, a task cancelled at once) is
 * among its {@code cancelled}, whether it exited before the registry's sweep or not. When no drained work is in
 * flight, nothing of this happens. The longest drain period adds to the bound below.
 *
 * <h2>Bound</h2>
 * The registry's shutdown never exceeds {@code drain-timeout + timeout + last-grace} plus a small constant. If
 * that exceeds {@code spring.lifecycle.timeout-per-shutdown-phase}, Spring stops waiting for this phase at its
 * timeout and closes the context, and the registry's {@code close()} waits for the rest of the bound.
 *
 * <p>Thread-safety: {@code start}/{@code stop} are called by the lifecycle processor; state is volatile.
 */
public class CancellationLifecycle implements SmartLifecycle {

    /** {@code SmartLifecycle.DEFAULT_PHASE - 1024}: the phase of Boot's web server graceful shutdown. */
    public static final int DEFAULT_PHASE = SmartLifecycle.DEFAULT_PHASE - 1024;

    private static final Log logger = LogFactory.getLog(CancellationLifecycle.class);

    private final TaskRegistry registry;
    private final Duration drainTimeout;
    private final Duration timeout;
    private final boolean interrupt;
    private final Duration lastGrace;
    private volatile int phase = DEFAULT_PHASE;
    private volatile boolean running;
    private volatile @Nullable ShutdownReport lastReport;
    private volatile List<ShutdownDrain> drains = List.of();

    /**
     * Creates the lifecycle.
     *
     * @param registry the registry to shut down
     * @param drainTimeout how long running tasks may finish on their own before they are cancelled
     * @param timeout how long to wait for cancelled tasks and their cleanups
     * @param interrupt whether to interrupt the threads of tasks still running after {@code timeout}
     * @param lastGrace how long to wait after the interrupt before abandoning what still runs
     */
    public CancellationLifecycle(TaskRegistry registry, Duration drainTimeout, Duration timeout, boolean interrupt,
            Duration lastGrace) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.drainTimeout = requireNotNegative(drainTimeout, "cancellation.shutdown.drain-timeout");
        this.timeout = requireNotNegative(timeout, "cancellation.shutdown.timeout");
        this.interrupt = interrupt;
        this.lastGrace = requireNotNegative(lastGrace, "cancellation.shutdown.last-grace");
    }

    private static Duration requireNotNegative(Duration value, String property) {
        if (value == null) {
            throw new IllegalArgumentException(property + " must be set");
        }
        if (value.isNegative()) {
            throw new IllegalArgumentException(property + " must not be negative: " + value);
        }
        return value;
    }

    /** The work that gets a drain period before the registry's shutdown cancels it (none by default). */
    public void setDrains(List<? extends ShutdownDrain> drains) {
        this.drains = List.copyOf(drains);
    }

    /** The drains run before the registry's shutdown. */
    public List<ShutdownDrain> getDrains() {
        return drains;
    }

    /** Overrides the {@link #DEFAULT_PHASE}. */
    public void setPhase(int phase) {
        this.phase = phase;
    }

    @Override
    public int getPhase() {
        return phase;
    }

    @Override
    public void start() {
        running = true;
    }

    /** Shuts the registry down on this thread. */
    @Override
    public void stop() {
        shutDownRegistry();
    }

    /**
     * Shuts the registry down on a thread of its own and runs {@code callback} when done, so that the other beans
     * of this phase (the web server's graceful shutdown) stop at the same time.
     */
    @Override
    public void stop(Runnable callback) {
        Thread thread = new Thread(() -> {
            try {
                shutDownRegistry();
            } finally {
                callback.run();
            }
        }, "cancellation-graceful-shutdown");
        thread.setDaemon(true);
        thread.start();
    }

    private void shutDownRegistry() {
        running = false;
        try {
            // The drains run inside the registry's shutdown, so that its report counts what they cancel the same
            // way whether those tasks exit before its sweep or not.
            ShutdownReport report = registry.shutdown(drainTimeout, timeout, interrupt, lastGrace, () -> {
                try {
                    drain();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            });
            lastReport = report;
            if (!report.clean()) {
                logger.warn(report.describe());
            } else if (logger.isInfoEnabled()) {
                logger.info(report.describe());
            }
        } catch (RuntimeException ex) {
            logger.error("Graceful shutdown of the cancellation task registry failed", ex);
        }
    }

    /** Runs the drains (concurrently bounded by the longest period) before the registry's shutdown. */
    private void drain() throws InterruptedException {
        List<ShutdownDrain> active = new java.util.ArrayList<>();
        for (ShutdownDrain drain : drains) {
            if (!drain.period().isZero() && !drain.period().isNegative() && !drain.awaitIdle(Duration.ZERO)) {
                active.add(drain);
            }
        }
        if (active.isEmpty()) {
            return; // nothing in flight: the registry's shutdown alone, as without drains
        }
        CancellationReason reason = CancellationReason.shutdown("application shutdown");
        TaskListener cancelUncovered = null;
        if (drainTimeout.isZero()) {
            cancelUncovered = new TaskListener() {
                @Override
                public void onStarted(TaskInfo task) {
                    registry.handle(task.id()).ifPresent(handle -> cancelIfUncovered(handle, active, reason));
                }
            };
            registry.addListener(cancelUncovered);
            for (TaskInfo task : registry.list()) {
                registry.handle(task.id()).ifPresent(handle -> cancelIfUncovered(handle, active, reason));
            }
        }
        try {
            long start = System.nanoTime();
            for (ShutdownDrain drain : active) {
                Duration left = drain.period().minusNanos(System.nanoTime() - start);
                boolean idle = drain.awaitIdle(left.isNegative() ? Duration.ZERO : left);
                // A reason of its own: its instant is when the drain ended, not when the shutdown began.
                int cancelled = idle ? 0 : drain.cancelRemaining(CancellationReason.shutdown("application shutdown"));
                if (cancelled > 0) {
                    logger.info("Drain period of " + drain.period() + " over for " + drain + ": cancelled "
                            + cancelled + " still in flight");
                }
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            active.forEach(drain -> drain.cancelRemaining(reason));
        } finally {
            if (cancelUncovered != null) {
                registry.removeListener(cancelUncovered);
            }
        }
    }

    private static void cancelIfUncovered(TaskHandle handle, List<ShutdownDrain> drains, CancellationReason reason) {
        for (ShutdownDrain drain : drains) {
            if (drain.covers(handle.token())) {
                return;
            }
        }
        handle.cancel(reason);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** A context pause must not shut the registry down: it cannot be restarted. */
    @Override
    public boolean isPauseable() {
        return false;
    }

    /** The report of the shutdown; {@code null} until it ran. */
    public @Nullable ShutdownReport getLastReport() {
        return lastReport;
    }

    /** The wait for cancelled tasks and cleanups in effect (resolved from the properties). */
    public Duration getTimeout() {
        return timeout;
    }

    /** The drain timeout in effect. */
    public Duration getDrainTimeout() {
        return drainTimeout;
    }

    /** The last grace in effect. */
    public Duration getLastGrace() {
        return lastGrace;
    }

    /** Whether stragglers are interrupted. */
    public boolean isInterrupt() {
        return interrupt;
    }
}
