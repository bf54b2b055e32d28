package dev.cancellation.lifecycle;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.CleanupOutcome;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskOutcome;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.Objects;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;

/**
 * The starter's task log: one line per task event of a {@link TaskRegistry}, at {@code DEBUG}, under the logger
 * {@value #LOGGER_NAME}:
 * <pre>
 * started  sales-report         2c937bfa69c6f247 budget=798 ms parent=89197bf1e7d1ed24
 * cancel   sales-report         2c937bfa69c6f247 TIMEOUT (timed out after 800ms) by deadline
 * finished sales-report         2c937bfa69c6f247 timeout after 801 ms (stopped 1 ms after the cancel)
 * cleanup  sales-report         2c937bfa69c6f247 success in 4 ms
 * </pre>
 * ({@code budget} is the time left to the task's effective deadline when it started, {@code stopped} the stop
 * latency, from the cancel request to the exit). An abandoned task is not repeated here: the registry logs it at
 * {@code WARN} under {@code dev.cancellation.task.TaskRegistry}.
 *
 * <p><b>Why DEBUG, and read at startup.</b> A line per task is a line per request in a busy application, like
 * Spring's own request logging ({@code CommonsRequestLoggingFilter}, {@code DispatcherServlet}), which logs at DEBUG
 * and is silent until asked. Being a listener costs the registry a task snapshot per event and its fast path for
 * synchronous tasks nobody observes, so {@link #afterPropertiesSet()} adds it to the registry only when the logger
 * is enabled for DEBUG when the context starts ({@code logging.level.dev.cancellation.tasks=debug}): a silent log
 * costs nothing on the task path. A level raised later (through {@code /actuator/loggers}) takes effect at the
 * next start; a level lowered later silences the lines at once.
 *
 * <p>Thread-safety: the listener methods run on the thread where the event happens (the task's, the cancelling
 * one, for a deadline a thread of the registry's callback pool, never its timer thread, a cleanup thread), possibly
 * concurrently; they only format a line from their arguments and hand it to the logger, and block on nothing of
 * their own.
 */
public class TaskEventLog implements TaskListener, InitializingBean, DisposableBean {

    /** The logger of the task log: not a class name, so that it stays put when the code moves. */
    public static final String LOGGER_NAME = "dev.cancellation.tasks";

    private static final Log logger = LogFactory.getLog(LOGGER_NAME);

    /** Width of the name column, so that the ids line up for names up to this long. */
    private static final int NAME_WIDTH = 20;

    private final TaskRegistry registry;
    private volatile boolean added;

    /** A log of {@code registry}'s task events. */
    public TaskEventLog(TaskRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Adds the log to the registry if the logger logs DEBUG now (see the class comment). */
    @Override
    public void afterPropertiesSet() {
        if (logger.isDebugEnabled()) {
            registry.addListener(this);
            added = true;
        }
    }

    /** Whether the log is listening to the registry (the logger was enabled for DEBUG at startup). */
    public boolean isListening() {
        return added;
    }

    @Override
    public void destroy() {
        if (added) {
            registry.removeListener(this);
            added = false;
        }
    }

    @Override
    public void onStarted(TaskInfo task) {
        if (!logger.isDebugEnabled()) {
            return;
        }
        StringBuilder line = line("started", task);
        if (task.deadline() != null) {
            line.append(" budget=").append(Duration.between(task.startedAt(), task.deadline()).toMillis())
                    .append(" ms");
        }
        if (task.parentId() != null) {
            line.append(" parent=").append(task.parentId());
        }
        logger.debug(line);
    }

    @Override
    public void onCancelRequested(TaskInfo task, CancellationReason reason) {
        if (logger.isDebugEnabled()) {
            logger.debug(line("cancel", task).append(' ').append(reason.describe()));
        }
    }

    @Override
    public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, @Nullable Duration stopLatency) {
        if (!logger.isDebugEnabled()) {
            return;
        }
        StringBuilder line = line("finished", task).append(' ').append(outcome.tagValue()).append(" after ")
                .append(runTime.toMillis()).append(" ms");
        if (stopLatency != null) {
            line.append(" (stopped ").append(stopLatency.toMillis()).append(" ms after the cancel)");
        }
        logger.debug(line);
    }

    @Override
    public void onCleanupFinished(TaskInfo task, CleanupOutcome outcome, Duration duration,
            @Nullable Throwable failure) {
        if (!logger.isDebugEnabled()) {
            return;
        }
        StringBuilder line = line("cleanup", task).append(' ').append(outcome.tagValue()).append(" in ")
                .append(duration.toMillis()).append(" ms");
        if (failure != null) {
            line.append(": ").append(failure);
        }
        logger.debug(line);
    }

    /** {@code event} and the task's name padded into columns, then its id. */
    private static StringBuilder line(String event, TaskInfo task) {
        StringBuilder line = new StringBuilder(96).append(event);
        pad(line, 9);
        line.append(task.name());
        pad(line, 9 + NAME_WIDTH + 1);
        return line.append(task.id());
    }

    private static void pad(StringBuilder line, int width) {
        do {
            line.append(' ');
        } while (line.length() < width);
    }

    @Override
    public String toString() {
        return "TaskEventLog(" + LOGGER_NAME + ")";
    }
}
