package dev.cancellation.cluster;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Binds {@code cancellation.fleet.messages} (tag {@code outcome}: {@code sent}, {@code received}, {@code failed},
 * {@code rejected}) and the gauge {@code cancellation.fleet.member} (1 while this instance is in the fleet, 0
 * otherwise).
 *
 * <p>Thread-safety: the meters read thread-safe counters; bind once.
 */
public final class FleetMetrics implements MeterBinder {

    private final RedisFleet fleet;

    /** Meters over {@code fleet}'s counters and state. */
    public FleetMetrics(RedisFleet fleet) {
        this.fleet = Objects.requireNonNull(fleet, "fleet");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        FleetCounters counters = fleet.counters();
        counter(registry, "sent", counters, c -> c.sentCount());
        counter(registry, "received", counters, c -> c.receivedCount());
        counter(registry, "failed", counters, c -> c.failedCount());
        counter(registry, "rejected", counters, c -> c.rejectedCount());
        registry.gauge("cancellation.fleet.member", fleet, member -> member.isInFleet() ? 1 : 0);
    }

    private static void counter(MeterRegistry registry, String outcome, FleetCounters counters,
            ToDoubleFunction<FleetCounters> count) {
        FunctionCounter.builder("cancellation.fleet.messages", counters, count)
                .description("Fleet messages (cancel and lookup requests, and their replies) by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }
}
