package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records task events as strings, for order assertions. */
final class RecordingListener implements TaskListener {

    final List<String> events = new CopyOnWriteArrayList<>();
    final List<Duration> stopLatencies = new CopyOnWriteArrayList<>();
    final List<Throwable> cleanupFailures = new CopyOnWriteArrayList<>();

    @Override
    public void onStarted(TaskInfo task) {
        events.add("started " + task.name());
    }

    @Override
    public void onCancelRequested(TaskInfo task, CancellationReason reason) {
        events.add("cancelRequested " + task.name() + " " + reason.kind());
    }

    @Override
    public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, Duration stopLatency) {
        if (stopLatency != null) {
            stopLatencies.add(stopLatency);
        }
        events.add("exited " + task.name() + " " + outcome);
    }

    @Override
    public void onAbandoned(TaskInfo task) {
        events.add("abandoned " + task.name());
    }

    @Override
    public void onCleanupFinished(TaskInfo task, CleanupOutcome outcome, Duration duration, Throwable failure) {
        if (failure != null) {
            cleanupFailures.add(failure);
        }
        events.add("cleanupFinished " + task.name() + " " + outcome);
    }

    @Override
    public void onRemoved(TaskInfo task) {
        events.add("removed " + task.name() + " " + task.state());
    }

    List<String> of(String name) {
        return events.stream().filter(e -> e.split(" ")[1].equals(name)).toList();
    }
}
