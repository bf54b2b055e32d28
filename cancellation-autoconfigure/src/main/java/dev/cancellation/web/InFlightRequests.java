package dev.cancellation.web;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.lifecycle.InFlightSet;
import dev.cancellation.lifecycle.ShutdownDrain;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The requests being answered, each with its {@link InFlightRequest} token; the {@link ShutdownDrain} that gives
 * them {@link #period()} to finish at shutdown before they are cancelled with reason {@code SHUTDOWN}.
 *
 * <p>Opening a request costs one token source (with a timer entry when it has a budget) and one entry in a
 * concurrent set; nothing is registered in the {@link TaskRegistry} unless {@link InFlightRequest#register} is
 * called (property {@code cancellation.web.register-requests}).
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently.
 */
public final class InFlightRequests implements ShutdownDrain {

    private final InFlightSet<InFlightRequest> open = new InFlightSet<>(InFlightRequest::requestToken);
    private final @Nullable TaskRegistry registry;
    private final Duration drainPeriod;

    /**
     * Creates the set.
     *
     * @param registry where {@link InFlightRequest#register} registers requests, {@code null} if nowhere
     * @param drainPeriod how long requests in flight may finish at shutdown before they are cancelled
     */
    public InFlightRequests(@Nullable TaskRegistry registry, Duration drainPeriod) {
        Objects.requireNonNull(drainPeriod, "drainPeriod");
        if (drainPeriod.isNegative()) {
            throw new IllegalArgumentException("cancellation.web.shutdown-drain must not be negative, but was "
                    + drainPeriod);
        }
        this.registry = registry;
        this.drainPeriod = drainPeriod;
    }

    /**
     * Opens a request with the given budget ({@code null} for none) under no parent. Close it with
     * {@link InFlightRequest#close()} when its response is complete.
     */
    public InFlightRequest open(@Nullable Duration budget) {
        CancellationSource source = (budget == null) ? CancellationSource.create()
                : CancellationSource.withTimeout(budget);
        InFlightRequest request = new InFlightRequest(source, registry, open::remove);
        open.add(request);
        return request;
    }

    /** Whether the request with this token (its own, or its registered task's) is still in flight. */
    public boolean isInFlight(CancellationToken token) {
        for (InFlightRequest request : open.units()) {
            if (request.requestToken() == token || request.token() == token) {
                return true;
            }
        }
        return false;
    }

    /** How many requests are in flight. */
    public int size() {
        return open.size();
    }

    @Override
    public Duration period() {
        return drainPeriod;
    }

    @Override
    public boolean covers(CancellationToken taskToken) {
        return open.covers(taskToken);
    }

    @Override
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return open.awaitNone(request -> true, timeout, "requests");
    }

    @Override
    public int cancelRemaining(CancellationReason reason) {
        int cancelled = 0;
        for (InFlightRequest request : open.units()) {
            if (request.cancel(reason)) {
                cancelled++;
            }
        }
        return cancelled;
    }

    @Override
    public String toString() {
        return "HTTP requests";
    }
}
