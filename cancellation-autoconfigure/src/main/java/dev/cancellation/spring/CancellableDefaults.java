package dev.cancellation.spring;

import dev.cancellation.autoconfigure.CancellationProperties;
import java.time.Duration;
import java.util.Objects;

/**
 * The configured defaults that {@code @Cancellable} attributes fall back to when they are empty.
 *
 * @param timeout the default timeout, or {@code null} for none ({@code cancellation.default-timeout})
 * @param interrupt whether threads are interrupted at all ({@code cancellation.interrupt}); {@code false} overrides
 *     every {@code interruptAfter} attribute
 * @param interruptAfter the default grace before the interrupt ({@code cancellation.interrupt-after})
 * @param abandonAfter how long after the interrupt a task that still runs is abandoned
 *     ({@code cancellation.abandon-after})
 */
public record CancellableDefaults(Duration timeout, boolean interrupt, Duration interruptAfter, Duration abandonAfter) {

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

    /** The defaults of the given properties. */
    public static CancellableDefaults of(CancellationProperties properties) {
        return new CancellableDefaults(properties.getDefaultTimeout(), properties.isInterrupt(),
                properties.getInterruptAfter(), properties.getAbandonAfter());
    }

    /** The defaults of unconfigured properties. */
    public static CancellableDefaults defaults() {
        return of(new CancellationProperties());
    }
}
