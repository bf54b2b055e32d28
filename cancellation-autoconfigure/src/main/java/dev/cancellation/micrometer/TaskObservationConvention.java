package dev.cancellation.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * An {@link ObservationConvention} of task observations. Declare a bean of this type to change the name, the
 * contextual name or the key values of {@code cancellation.task}; extend {@link DefaultTaskObservationConvention}
 * to add to the defaults.
 */
public interface TaskObservationConvention extends ObservationConvention<TaskObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof TaskObservationContext;
    }
}
