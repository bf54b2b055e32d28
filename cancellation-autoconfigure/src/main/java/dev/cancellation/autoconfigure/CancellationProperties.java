package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of cooperative cancellation, bound from {@code cancellation.*}.
 */
@ConfigurationProperties(prefix = "cancellation")
public class CancellationProperties {

    /** Whether cancellation support is enabled: {@code false} turns every part of it off. */
    private boolean enabled = true;

    /**
     * Timeout of {@code @Cancellable} methods that set none. Unset means no timeout: such tasks stop only when
     * cancelled.
     */
    private Duration defaultTimeout;

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
     * Order of the {@code @Cancellable} advisor. The default, {@code Ordered.HIGHEST_PRECEDENCE}, puts it
     * outside {@code @Async} (so tasks are registered when submitted and cancellable while queued) and outside
     * {@code @Transactional} (so a cancelled task's transaction is rolled back before the task ends).
     */
    private int advisorOrder = org.springframework.core.Ordered.HIGHEST_PRECEDENCE;

    private final Cleanup cleanup = new Cleanup();

    private final Registry registry = new Registry();

    private final Shutdown shutdown = new Shutdown();

    private final ContextPropagation contextPropagation = new ContextPropagation();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Duration getDefaultTimeout() {
        return defaultTimeout;
    }

    public void setDefaultTimeout(Duration defaultTimeout) {
        this.defaultTimeout = defaultTimeout;
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
        this.interruptAfter = interruptAfter;
    }

    public Duration getAbandonAfter() {
        return abandonAfter;
    }

    public void setAbandonAfter(Duration abandonAfter) {
        this.abandonAfter = abandonAfter;
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

    /** The executor that runs {@code @OnCancel} cleanups. */
    public static class Cleanup {

        /** Number of threads running cleanups. */
        private int threads = 2;

        /** How many cleanups may wait for a thread; beyond that a cleanup fails at once (and is logged). */
        private int queueCapacity = 1000;

        /** Time bound of each cleanup; past it the cleanup's token is cancelled and it is no longer waited for. */
        private Duration timeout = Duration.ofSeconds(10);

        public int getThreads() {
            return threads;
        }

        public void setThreads(int threads) {
            this.threads = threads;
        }

        public int getQueueCapacity() {
            return queueCapacity;
        }

        public void setQueueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }
    }

    /** The task registry. */
    public static class Registry {

        /** How many finished cancelled, failed and abandoned tasks the registry keeps for operators. */
        private int historySize = 100;

        public int getHistorySize() {
            return historySize;
        }

        public void setHistorySize(int historySize) {
            this.historySize = historySize;
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
        private Duration timeout;

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
            this.drainTimeout = drainTimeout;
        }

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public Duration getLastGrace() {
            return lastGrace;
        }

        public void setLastGrace(Duration lastGrace) {
            this.lastGrace = lastGrace;
        }
    }

    /** Carrying the current token across threads with Micrometer context propagation. */
    public static class ContextPropagation {

        /**
         * Whether to define a {@code ContextPropagatingTaskDecorator} bean (when no other TaskDecorator bean
         * exists), which Spring Boot applies to the executors it auto-configures: tasks submitted to them then run
         * with the submitter's token (and every other registered context value, e.g. observations or the security
         * context) current. {@code @Cancellable @Async} methods get their token without it.
         */
        private boolean taskDecorator = false;

        public boolean isTaskDecorator() {
            return taskDecorator;
        }

        public void setTaskDecorator(boolean taskDecorator) {
            this.taskDecorator = taskDecorator;
        }
    }
}
