package dev.cancellation.aot;

import dev.cancellation.actuate.CancellationEndpoint;
import dev.cancellation.spring.CancellationTokenAccessor;
import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.util.ClassUtils;

/**
 * The runtime hints of the starter's own types, registered through {@code META-INF/spring/aot.factories}:
 * <ul>
 *   <li>the response types of the {@code cancellation} actuator endpoint, which Jackson serializes by reflection
 *       (when the actuator is on the class path);</li>
 *   <li>{@link CancellationTokenAccessor}, which Micrometer's context-propagation library loads through
 *       {@code META-INF/services/io.micrometer.context.ThreadLocalAccessor} (when that library is present).</li>
 * </ul>
 * The {@code @OnCancel} and {@code @Cancellable} methods of application beans get theirs from
 * {@link CancellableBeanRegistrationAotProcessor}.
 *
 * <p>Stateless; Spring calls it once per AOT processing run.
 */
public class CancellationRuntimeHints implements RuntimeHintsRegistrar {

    static final String ACCESSOR_SERVICE_FILE = "META-INF/services/io.micrometer.context.ThreadLocalAccessor";

    private final BindingReflectionHintsRegistrar bindings = new BindingReflectionHintsRegistrar();

    @Override
    public void registerHints(RuntimeHints hints, ClassLoader classLoader) {
        if (ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.annotation.Endpoint", classLoader)) {
            bindings.registerReflectionHints(hints.reflection(), CancellationEndpoint.TasksDescriptor.class,
                    CancellationEndpoint.SummaryDescriptor.class, CancellationEndpoint.TaskDescriptor.class,
                    CancellationEndpoint.ReasonDescriptor.class, CancellationEndpoint.CancelledTasksDescriptor.class);
        }
        if (ClassUtils.isPresent("io.micrometer.context.ThreadLocalAccessor", classLoader)) {
            hints.resources().registerPattern(ACCESSOR_SERVICE_FILE);
            hints.reflection().registerType(CancellationTokenAccessor.class,
                    MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS);
        }
    }
}
