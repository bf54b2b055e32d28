package dev.cancellation.actuate;

import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * The runtime hints of the {@code cancellation} endpoint: its response types, which Jackson serializes by
 * reflection (over HTTP and JMX), with the types they reach (the task state, the reason kind, ...). Imported by the
 * endpoint's auto-configuration ({@code @ImportRuntimeHints}), so an application processed ahead of time gets them
 * whenever it has the endpoint.
 *
 * <p>Stateless; Spring calls it once per AOT processing run.
 */
public class CancellationEndpointRuntimeHints implements RuntimeHintsRegistrar {

    private final BindingReflectionHintsRegistrar bindings = new BindingReflectionHintsRegistrar();

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        bindings.registerReflectionHints(hints.reflection(), CancellationEndpoint.TasksDescriptor.class,
                CancellationEndpoint.SummaryDescriptor.class, CancellationEndpoint.TaskDescriptor.class,
                CancellationEndpoint.ReasonDescriptor.class, CancellationEndpoint.CancelledTasksDescriptor.class);
    }
}
