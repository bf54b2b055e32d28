package dev.cancellation.demo.support;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.CleanupOutcome;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskOutcome;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per task event (logger {@code tasks}): started, cancel requested, finished, abandoned, cleaned up.
 *
 * <p>Listener methods run on the thread where the event happens and only format a line: safe to call
 * concurrently, nothing blocks.
 */
public class TaskEventLog implements TaskListener {

    private static final Logger log = LoggerFactory.getLogger("tasks");

    @Override
    public void onStarted(TaskInfo task) {
        StringBuilder line = new StringBuilder(String.format("%-10s %-20s %s", "started", task.name(), task.id()));
        if (task.parentId() != null) {
            line.append(" parent=").append(task.parentId());
        }
        if (task.deadline() != null) {
            line.append(" budget=").append(millis(Duration.between(task.startedAt(), task.deadline())));
        }
        log.info(line.toString());
    }

    @Override
    public void onCancelRequested(TaskInfo task, CancellationReason reason) {
        log.info(String.format("%-10s %-20s %s %s", "cancel", task.name(), task.id(), reason.describe()));
    }

    @Override
    public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, Duration stopLatency) {
        String line = String.format("%-10s %-20s %s %s after %s", "finished", task.name(), task.id(),
                outcome.tagValue(), millis(runTime));
        if (stopLatency != null) {
            line += " (stopped " + millis(stopLatency) + " after the cancel)";
        }
        log.info(line);
    }

    @Override
    public void onAbandoned(TaskInfo task) {
        log.warn(String.format("%-10s %-20s %s still running on %s after its grace periods", "abandoned",
                task.name(), task.id(), task.thread()));
    }

    @Override
    public void onCleanupFinished(TaskInfo task, CleanupOutcome outcome, Duration duration, Throwable failure) {
        String line = String.format("%-10s %-20s %s %s in %s", "cleanup", task.name(), task.id(),
                outcome.tagValue(), millis(duration));
        if (failure != null) {
            line += ": " + failure;
        }
        log.info(line);
    }

    private static String millis(Duration duration) {
        return duration.toMillis() + " ms";
    }
}
