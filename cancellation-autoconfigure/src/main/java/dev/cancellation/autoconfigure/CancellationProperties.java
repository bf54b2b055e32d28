package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of cooperative cancellation, bound from {@code cancellation.*}.
 *
 * <p><b>Validation.</b> Every setter rejects nonsense (a negative duration, zero cleanup threads, a negative history
 * size, ...) with an {@link InvalidCancellationPropertyException} whose message names the property and the value.
 * Spring Boot's binder reports it as a bind failure of that property, and {@link CancellationPropertiesFailureAnalyzer}
 * turns that into a startup report with the property, the value, its origin and what is allowed:
 * <pre>
 *     Property: cancellation.cleanup.threads
 *     Value: "0"
 *     Origin: class path resource [application.properties] - 3:30
 *     Allowed: 1 to 1000
 *     Reason: cancellation.cleanup.threads must be at least 1, but was 0
 * </pre>
 * Values that are not durations or numbers at all ({@code abc}, {@code 10 parsecs}) fail in the binder's conversion,
 * with the same property, value and origin. An empty value ({@code cancellation.interrupt-after=}) keeps the default.
 * Durations must fit in a {@code long} of nanoseconds (about 292 years), because shutdown and timers compute with
 * them.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation")
public class CancellationProperties {

    /** Whether cancellation support is enabled: {@code false} turns every part of it off. */
    private boolean enabled = true;

    /**
     * Timeout of {@code @Cancellable} methods that set none. Unset means no timeout: such tasks stop only when
     * cancelled.
     */
    private @Nullable Duration defaultTimeout;

    /** Whether the thread of a task that ignores its cancelled token is interrupted after the grace period. */
    private boolean interrupt = true;

    /**
     * Grace period between the cooperative cancel of a task and the interrupt of its thread, for tasks that
     * set none.
     */
    private Duration interruptAfter = Duration.ofSeconds(2);

    /**
     * How long after the interrupt (or after the grace period, when interrupts are off) a task that still runs is
     * marked ABANDONED and no longer waited for.
     */
    private Duration abandonAfter = Duration.ofSeconds(5);

    /**
     * Order of the {@code @Cancellable} post-processor among Spring's advising post-processors (like
     * {@code @EnableAsync(order)}): one that runs later puts its advice outside. The default,
     * {@code Ordered.LOWEST_PRECEDENCE}, runs after {@code @EnableResilientMethods} and the auto-proxy creators, so
     * a task spans all {@code @Retryable} attempts and a {@code @ConcurrencyLimit} wait, and is outside
     * {@code @Transactional} (a cancelled task's transaction is rolled back inside it).
     */
    private int advisorOrder = org.springframework.core.Ordered.LOWEST_PRECEDENCE;

    private final Cleanup cleanup = new Cleanup();

    private final Registry registry = new Registry();

    private final Shutdown shutdown = new Shutdown();

    private final ContextPropagation contextPropagation = new ContextPropagation();

    private final TaskLog taskLog = new TaskLog();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable Duration getDefaultTimeout() {
        return defaultTimeout;
    }

    public void setDefaultTimeout(@Nullable Duration defaultTimeout) {
        this.defaultTimeout = Check.optionalDuration("cancellation.default-timeout", defaultTimeout,
                " (0 or unset means no timeout)");
    }

    public boolean isInterrupt() {
        return interrupt;
    }

    public void setInterrupt(boolean interrupt) {
        this.interrupt = interrupt;
    }

    public Duration getInterruptAfter() {
        return interruptAfter;
    }

    public void setInterruptAfter(Duration interruptAfter) {
        this.interruptAfter = Check.duration("cancellation.interrupt-after", interruptAfter,
                " (to never interrupt, set cancellation.interrupt=false)");
    }

    public Duration getAbandonAfter() {
        return abandonAfter;
    }

    public void setAbandonAfter(Duration abandonAfter) {
        this.abandonAfter = Check.duration("cancellation.abandon-after", abandonAfter, "");
    }

    public int getAdvisorOrder() {
        return advisorOrder;
    }

    public void setAdvisorOrder(int advisorOrder) {
        this.advisorOrder = advisorOrder;
    }

    public Cleanup getCleanup() {
        return cleanup;
    }

    public Registry getRegistry() {
        return registry;
    }

    public Shutdown getShutdown() {
        return shutdown;
    }

    public ContextPropagation getContextPropagation() {
        return contextPropagation;
    }

    public TaskLog getTaskLog() {
        return taskLog;
    }

    /** The executor that runs {@code @OnCancel} cleanups. */
    public static class Cleanup {

        /** Number of threads running cleanups, 1 to 1000. */
        private int threads = 2;

        /**
         * How many cleanups may wait for a thread, 1 to 1000000 (the queue is allocated
         * up front); beyond that a cleanup fails at once (and is logged and counted).
         */
        private int queueCapacity = 1000;

        /** Time bound of each cleanup; past it the cleanup's token is cancelled and it is no longer waited for. */
        private Duration timeout = Duration.ofSeconds(10);

        public int getThreads() {
            return threads;
        }

        public void setThreads(int threads) {
            this.threads = Check.range("cancellation.cleanup.threads", threads, 1, Check.MAX_CLEANUP_THREADS);
        }

        public int getQueueCapacity() {
            return queueCapacity;
        }

        public void setQueueCapacity(int queueCapacity) {
            this.queueCapacity = Check.range("cancellation.cleanup.queue-capacity", queueCapacity, 1,
                    Check.MAX_QUEUE_CAPACITY);
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = Check.positiveDuration("cancellation.cleanup.timeout", timeout);
        }
    }

    /** The task registry. */
    public static class Registry {

        /**
         * How many finished cancelled, failed and abandoned tasks the registry keeps for operators, 0 (none) to
         * 100000.
         */
        private int historySize = 100;

        public int getHistorySize() {
            return historySize;
        }

        public void setHistorySize(int historySize) {
            this.historySize = Check.range("cancellation.registry.history-size", historySize, 0,
                    Check.MAX_HISTORY_SIZE);
        }
    }

    /** Graceful shutdown of running tasks when the application context closes. */
    public static class Shutdown {

        /** Whether running tasks are cancelled and awaited when the application context closes. */
        private boolean enabled = true;

        /** How long running tasks may finish on their own before they are cancelled. */
        private Duration drainTimeout = Duration.ZERO;

        /**
         * How long to wait for cancelled tasks to exit and their cleanups to complete. Unset means
         * {@code spring.lifecycle.timeout-per-shutdown-phase} (30s by default).
         */
        private @Nullable Duration timeout;

        /** Last wait after interrupting the tasks still running at the timeout, before they are abandoned. */
        private Duration lastGrace = Duration.ofSeconds(1);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getDrainTimeout() {
            return drainTimeout;
        }

        public void setDrainTimeout(Duration drainTimeout) {
            this.drainTimeout = Check.duration("cancellation.shutdown.drain-timeout", drainTimeout, "");
        }

        public @Nullable Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(@Nullable Duration timeout) {
            this.timeout = Check.optionalDuration("cancellation.shutdown.timeout", timeout, "");
        }

        public Duration getLastGrace() {
            return lastGrace;
        }

        public void setLastGrace(Duration lastGrace) {
            this.lastGrace = Check.duration("cancellation.shutdown.last-grace", lastGrace, "");
        }
    }

    /** The task log: one line per task started, cancel requested, finished and cleanup, at DEBUG. */
    public static class TaskLog {

        /**
         * Whether task events are logged, one line each, at DEBUG under the logger dev.cancellation.tasks. The
         * logger's level decides: the log listens only if that logger is enabled for DEBUG when the application
         * starts (logging.level.dev.cancellation.tasks=debug); false never logs them.
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** Carrying the current token across threads with Micrometer context propagation. */
    public static class ContextPropagation {

        /**
         * Whether to define a {@code ContextPropagatingTaskDecorator} bean (when no other TaskDecorator bean
         * exists, such as the one of Spring Boot 4.1's spring.task.execution.propagate-context=true, which carries
         * the token too), which Spring Boot applies to the executors it auto-configures: tasks submitted to them
         * then run with the submitter's token (and every other registered context value, e.g. observations or
         * the security context) current. {@code @Cancellable @Async} methods get their token without it.
         */
        private boolean taskDecorator = false;

        public boolean isTaskDecorator() {
            return taskDecorator;
        }

        public void setTaskDecorator(boolean taskDecorator) {
            this.taskDecorator = taskDecorator;
        }
    }

    /** The checks of the setters: each failure names the property and the value. */
    static final class Check {

        /** Upper bound of {@code cancellation.cleanup.threads}. */
        static final int MAX_CLEANUP_THREADS = 1_000;

        /** Upper bound of {@code cancellation.cleanup.queue-capacity}: the queue is an array allocated up front. */
        static final int MAX_QUEUE_CAPACITY = 1_000_000;

        /** Upper bound of {@code cancellation.registry.history-size}: a bigger history is a memory leak. */
        static final int MAX_HISTORY_SIZE = 100_000;

        private Check() {
        }

        /** What a duration of 0 or more accepts, in words. */
        static final String NON_NEGATIVE = "0 or a positive duration such as 500ms, 30s or 2m";

        static int range(String property, int value, int min, int max) {
            if (value < min) {
                throw invalid(property, value, min + " to " + max, property + " must be at least " + min
                        + ", but was " + value);
            }
            if (value > max) {
                throw invalid(property, value, min + " to " + max, property + " must be at most " + max
                        + ", but was " + value);
            }
            return value;
        }

        /** A required duration: not null, not negative, representable in nanoseconds. */
        static Duration duration(String property, @Nullable Duration value, String hint) {
            if (value == null) {
                throw invalid(property, null, NON_NEGATIVE, property + " must be set (leave it out for the default)");
            }
            return checked(property, value, hint, NON_NEGATIVE);
        }

        /** An optional duration: {@code null}, or not negative and representable in nanoseconds. */
        static @Nullable Duration optionalDuration(String property, @Nullable Duration value, String hint) {
            return (value != null) ? checked(property, value, hint, NON_NEGATIVE + ", or unset") : null;
        }

        /** A required, strictly positive duration. */
        static Duration positiveDuration(String property, @Nullable Duration value) {
            String allowed = "a positive duration such as 500ms, 10s or 1m";
            if (value == null) {
                throw invalid(property, null, allowed, property + " must be set (leave it out for the default)");
            }
            checked(property, value, "", allowed);
            if (value.isZero()) {
                throw invalid(property, value, allowed, property + " must be positive, but was " + value);
            }
            return value;
        }

        private static Duration checked(String property, Duration value, String hint, String allowed) {
            if (value.isNegative()) {
                throw invalid(property, value, allowed, property + " must not be negative, but was " + value + hint);
            }
            try {
                value.toNanos();
            } catch (ArithmeticException tooLong) {
                throw invalid(property, value, allowed + ", at most about 292 years", property
                        + " must be at most about 292 years (a long of nanoseconds), but was " + value);
            }
            return value;
        }

        private static InvalidCancellationPropertyException invalid(String property, @Nullable Object value,
                String allowed, String message) {
            return new InvalidCancellationPropertyException(property, value, allowed, message);
        }
    }
}
