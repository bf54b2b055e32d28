package dev.cancellation.micrometer;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.CleanupOutcome;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskOutcome;
import dev.cancellation.task.TaskRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The cancellation meters of a {@link TaskRegistry} (the task timer itself comes from the {@code cancellation.task}
 * observation, see {@link TaskObservations}):
 *
 * <ul>
 *   <li>{@value #CANCELLED} counter, tags {@code task} and {@code reason} ({@code requested}, {@code timeout},
 *       {@code shutdown}): cancel requests that reached a running task;</li>
 *   <li>{@value #STOP_LATENCY} timer, tag {@code task}: from the cancel request to the task's exit, i.e. how well
 *       each task honours cancellation;</li>
 *   <li>{@value #CLEANUP} timer, tags {@code task} and {@code outcome} ({@code success}, {@code failed},
 *       {@code timeout}): {@code @OnCancel} cleanups;</li>
 *   <li>{@value #RUNNING} gauge: live tasks (running, cancelling, cleaning up, or abandoned but still running);</li>
 *   <li>{@value #ABANDONED} gauge: abandoned tasks whose thread still runs.</li>
 * </ul>
 *
 * <p>Thread-safety: meters are looked up in the (thread-safe) meter registry on each event; no state of its own
 * besides the gauges registered once.
 */
public final class CancellationMeters implements TaskListener, AutoCloseable {

    /** Counter of cancel requests. */
    public static final String CANCELLED = "cancellation.cancelled";
    /** Timer from cancel request to exit. */
    public static final String STOP_LATENCY = "cancellation.stop.latency";
    /** Timer of cleanups. */
    public static final String CLEANUP = "cancellation.cleanup";
    /** Gauge of live tasks. */
    public static final String RUNNING = "cancellation.tasks.running";
    /** Gauge of abandoned tasks. */
    public static final String ABANDONED = "cancellation.tasks.abandoned";

    private final TaskRegistry taskRegistry;
    private final MeterRegistry meterRegistry;
    private final List<Meter> gauges;

    private CancellationMeters(TaskRegistry taskRegistry, MeterRegistry meterRegistry) {
        this.taskRegistry = Objects.requireNonNull(taskRegistry, "taskRegistry");
        this.meterRegistry = Objects.requireNonNull(meterRegistry, "meterRegistry");
        this.gauges = List.of(
                Gauge.builder(RUNNING, taskRegistry, TaskRegistry::size)
                        .description("Live tasks: running, cancelling, cleaning up, or abandoned but still running")
                        .baseUnit("tasks")
                        .register(meterRegistry),
                Gauge.builder(ABANDONED, taskRegistry, TaskRegistry::abandonedCount)
                        .description("Tasks that did not stop within their grace periods and still run")
                        .baseUnit("tasks")
                        .register(meterRegistry));
    }

    /** Registers the gauges and records the events of {@code taskRegistry} from now on, until {@link #close()}. */
    public static CancellationMeters bind(TaskRegistry taskRegistry, MeterRegistry meterRegistry) {
        CancellationMeters meters = new CancellationMeters(taskRegistry, meterRegistry);
        taskRegistry.addListener(meters);
        return meters;
    }

    @Override
    public void onCancelRequested(TaskInfo task, CancellationReason reason) {
        Counter.builder(CANCELLED)
                .description("Cancel requests that reached a running task")
                .tag("task", task.name())
                .tag("reason", reason.kind().name().toLowerCase(Locale.ROOT))
                .register(meterRegistry)
                .increment();
    }

    @Override
    public void onExited(TaskInfo task, TaskOutcome outcome, Duration runTime, @Nullable Duration stopLatency) {
        if (stopLatency == null) {
            return; // not cancelled
        }
        Timer.builder(STOP_LATENCY)
                .description("Time from a task's cancel request to its exit")
                .tag("task", task.name())
                .register(meterRegistry)
                .record(stopLatency);
    }

    @Override
    public void onCleanupFinished(TaskInfo task, CleanupOutcome outcome, Duration duration,
            @Nullable Throwable failure) {
        Timer.builder(CLEANUP)
                .description("Cleanups (@OnCancel) of cancelled tasks")
                .tag("task", task.name())
                .tag("outcome", outcome.tagValue())
                .register(meterRegistry)
                .record(duration);
    }

    /** Only cancelled tasks have a stop latency: normal completions need nothing from the registry. */
    @Override
    public boolean observesCompletions() {
        return false;
    }

    /** Stops recording and removes the gauges. */
    @Override
    public void close() {
        taskRegistry.removeListener(this);
        gauges.forEach(meterRegistry::remove);
    }
}
