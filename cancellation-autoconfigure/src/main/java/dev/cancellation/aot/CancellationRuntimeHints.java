package dev.cancellation.aot;

import dev.cancellation.spring.CancellationTokenAccessor;
import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.util.ClassUtils;

/**
 * The runtime hints of {@link CancellationTokenAccessor}, which Micrometer's context-propagation library loads
 * through {@code META-INF/services/io.micrometer.context.ThreadLocalAccessor} (when that library is present).
 * Registered through {@code META-INF/spring/aot.factories}.
 *
 * <p>The other hints come from where their types are used: the {@code cancellation} endpoint's response types from
 * {@code dev.cancellation.actuate.CancellationEndpointRuntimeHints}, which the endpoint's auto-configuration imports;
 * the {@code @OnCancel} and {@code @Cancellable} methods of application beans from
 * {@link CancellableBeanRegistrationAotProcessor}.
 *
 * <p>Stateless; Spring calls it once per AOT processing run.
 */
public class CancellationRuntimeHints implements RuntimeHintsRegistrar {

    static final String ACCESSOR_SERVICE_FILE = "META-INF/services/io.micrometer.context.ThreadLocalAccessor";

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        if (ClassUtils.isPresent("io.micrometer.context.ThreadLocalAccessor", classLoader)) {
            hints.resources().registerPattern(ACCESSOR_SERVICE_FILE);
            hints.reflection().registerType(CancellationTokenAccessor.class,
                    MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS);
        }
    }
}
