package dev.cancellation.micrometer;

import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskOutcome;
import dev.cancellation.task.TaskRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Observes every task of a {@link TaskRegistry}: starts a {@code cancellation.task} observation when a task
 * starts and stops it when the task's code exits, with its outcome.
 *
 * <p>The parent of a task's observation is the observation of the task it was started from, or else the
 * observation current on the thread that started it (e.g. the HTTP request), so traces show the task tree. No
 * scope is opened: task events arrive on whatever thread they happen on (the starting thread, a cancelling thread,
 * the task's own thread), and a scope must be opened and closed on one thread.
 *
 * <p>An abandoned task's observation stays open (and counted by the long-task timer) until its thread really exits.
 *
 * <p>Thread-safety: the open observations are kept in a {@link ConcurrentHashMap} by task id; each is started
 * once and stopped by whoever removes it from the map, so exactly once.
 */
public final class TaskObservations implements TaskListener, AutoCloseable {

    private final TaskRegistry taskRegistry;
    private final ObservationRegistry observationRegistry;
    private final @Nullable TaskObservationConvention customConvention;
    private final ConcurrentHashMap<String, Observation> open = new ConcurrentHashMap<>();

    private TaskObservations(TaskRegistry taskRegistry, ObservationRegistry observationRegistry,
            @Nullable TaskObservationConvention customConvention) {
        this.taskRegistry = Objects.requireNonNull(taskRegistry, "taskRegistry");
        this.observationRegistry = Objects.requireNonNull(observationRegistry, "observationRegistry");
        this.customConvention = customConvention;
    }

    /**
     * Observes the tasks of {@code taskRegistry} from now on, until {@link #close()}.
     *
     * @param customConvention a convention replacing {@link DefaultTaskObservationConvention}, {@code null} for the
     *     default
     */
    public static TaskObservations observe(TaskRegistry taskRegistry, ObservationRegistry observationRegistry,
            @Nullable TaskObservationConvention customConvention) {
        TaskObservations observations = new TaskObservations(taskRegistry, observationRegistry, customConvention);
        taskRegistry.addListener(observations);
        return observations;
    }

    @Override
    public void onStarted(TaskInfo task) {
        TaskObservationContext context = new TaskObservationContext(task);
        Observation observation = Observation.createNotStarted(customConvention,
                DefaultTaskObservationConvention.INSTANCE, () -> context, observationRegistry);
        if (observation.isNoop()) {
            return;
        }
        Observation parent = (task.parentId() != null) ? open.get(task.parentId()) : null;
        if (parent != null) {
            observation.parentObservation(parent);
        }
        open.put(task.id(), observation.start());
    }

    @Override
    public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, @Nullable Duration stopLatency) {
        onExited(task, outcome, runTime, stopLatency, null);
    }

    @Override
    public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, @Nullable Duration stopLatency,
            @Nullable Throwable failure) {
        Observation observation = open.remove(task.id());
        if (observation == null) {
            return; // started before this listener was added, or not observed
        }
        TaskObservationContext context = (TaskObservationContext) observation.getContext();
        context.setOutcome(outcome);
        context.setReason(task.reason());
        if (outcome == TaskOutcome.FAILED && failure != null) {
            observation.error(failure); // the timer's `error` tag and the span's error; a cancel is not an error
        }
        observation.stop();
    }

    /** The number of observations started and not yet stopped. */
    public int openObservations() {
        return open.size();
    }

    /** Stops observing new events. Observations still open are left open (their tasks still run). */
    @Override
    public void close() {
        taskRegistry.removeListener(this);
    }
}
