package dev.cancellation.spring;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The configured defaults that {@code @Cancellable} attributes fall back to when they are empty. The
 * auto-configuration builds them from the {@code cancellation.*} properties; {@link #defaults()} are those of an
 * unconfigured application.
 *
 * @param timeout the default timeout, {@code null} for none ({@code cancellation.default-timeout})
 * @param interrupt whether threads are interrupted at all ({@code cancellation.interrupt}); {@code false} overrides
 *     every {@code interruptAfter} attribute
 * @param interruptAfter the default grace before the interrupt ({@code cancellation.interrupt-after})
 * @param abandonAfter how long after the interrupt a task that still runs is abandoned
 *     ({@code cancellation.abandon-after})
 */
public record CancellableDefaults(@Nullable Duration timeout, boolean interrupt, Duration interruptAfter,
        Duration abandonAfter) {

    /** Validates the defaults; a zero timeout means none. */
    public CancellableDefaults {
        if (timeout != null && timeout.isNegative()) {
            throw new IllegalArgumentException("cancellation.default-timeout must not be negative: " + timeout);
        }
        if (timeout != null && timeout.isZero()) {
            timeout = null;
        }
        Objects.requireNonNull(interruptAfter, "cancellation.interrupt-after");
        if (interruptAfter.isNegative()) {
            throw new IllegalArgumentException("cancellation.interrupt-after must not be negative: " + interruptAfter);
        }
        Objects.requireNonNull(abandonAfter, "cancellation.abandon-after");
        if (abandonAfter.isNegative()) {
            throw new IllegalArgumentException("cancellation.abandon-after must not be negative: " + abandonAfter);
        }
    }

    private static final CancellableDefaults DEFAULTS =
            new CancellableDefaults(null, true, Duration.ofSeconds(2), Duration.ofSeconds(5));

    /**
     * The defaults of an application that sets none of the properties (the defaults of {@code cancellation.*}):
     * no timeout, interrupts on, a 2 s grace before the interrupt, abandoned 5 s after it.
     */
    public static CancellableDefaults defaults() {
        return DEFAULTS;
    }
}
