package dev.cancellation.micrometer;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskOutcome;
import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;

/**
 * The default convention of task observations.
 *
 * <ul>
 *   <li>name {@value #NAME}: with Micrometer metrics this gives the timer {@code cancellation.task} and the
 *       long-task timer {@code cancellation.task.active} of the tasks that run;</li>
 *   <li>contextual name (the span name): the task name;</li>
 *   <li>low-cardinality keys: {@code task} (the task name), and, once the task exited, {@code outcome}
 *       ({@code completed}, {@code failed}, {@code cancelled} or {@code timeout}); the long-task timer, recorded
 *       while the outcome is unknown, is tagged with {@code task} only;</li>
 *   <li>high-cardinality keys (spans only): {@code task.id}, and {@code cancellation.origin} for a cancelled
 *       task.</li>
 * </ul>
 *
 * <p>Thread-safety: stateless.
 */
public class DefaultTaskObservationConvention implements TaskObservationConvention {

    /** The observation name. */
    public static final String NAME = "cancellation.task";

    /** The shared instance. */
    public static final DefaultTaskObservationConvention INSTANCE = new DefaultTaskObservationConvention();

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(TaskObservationContext context) {
        return context.getTask().name();
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(TaskObservationContext context) {
        KeyValues values = KeyValues.of(KeyValue.of("task", context.getTask().name()));
        TaskOutcome outcome = context.getOutcome();
        return (outcome != null) ? values.and("outcome", outcome.tagValue()) : values;
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(TaskObservationContext context) {
        KeyValues values = KeyValues.of(KeyValue.of("task.id", context.getTask().id()));
        CancellationReason reason = context.getReason();
        return (reason != null) ? values.and("cancellation.origin", reason.origin()) : values;
    }
}
