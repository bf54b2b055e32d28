package dev.cancellation.cluster;

import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Whether this instance is in its fleet: {@code UP} while its heartbeat reaches Redis, {@code OUT_OF_FLEET} with
 * the reason otherwise. {@code OUT_OF_FLEET} is not in Boot's default status order, so it does not turn the
 * application's health down (local tasks keep working without Redis); add it to
 * {@code management.endpoint.health.status.order} to make it count.
 *
 * <p>Thread-safety: reads volatile state; safe from any thread.
 */
public final class FleetHealthIndicator implements HealthIndicator {

    /** The status of an instance that is not in its fleet. */
    public static final Status OUT_OF_FLEET = new Status("OUT_OF_FLEET", "the instance is not in its fleet");

    private final RedisFleet fleet;

    /** The health of {@code fleet}'s membership. */
    public FleetHealthIndicator(RedisFleet fleet) {
        this.fleet = Objects.requireNonNull(fleet, "fleet");
    }

    @Override
    public Health health() {
        RedisFleet.Published published = fleet.lastPublished();
        Health.Builder builder = fleet.isInFleet() ? Health.up() : Health.status(OUT_OF_FLEET)
                .withDetail("problem", String.valueOf(fleet.problem()));
        return builder.withDetail("fleet", fleet.fleet())
                .withDetail("instance", fleet.instanceId())
                .withDetail("publishedTasks", published.tasks())
                .withDetail("omittedTasks", published.omitted())
                .build();
    }
}
