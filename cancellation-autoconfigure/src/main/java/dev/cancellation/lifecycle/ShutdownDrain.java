package dev.cancellation.lifecycle;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import java.time.Duration;

/**
 * Work in flight that gets a drain period at shutdown before it is cancelled, such as the HTTP requests a server
 * is still answering. {@link CancellationLifecycle} asks every drain bean, before the task registry's own
 * shutdown: tasks {@linkplain #covers covered} by a drain keep running for its {@link #period()} while the other
 * tasks are cancelled at once (when {@code cancellation.shutdown.drain-timeout} is zero); then the drain's
 * remaining work is cancelled with the shutdown reason, and the registry's shutdown waits for everything as usual.
 *
 * <p>Thread-safety: implementations are called from the shutdown thread while requests run on others; every
 * method must be safe to call concurrently with the work starting and ending.
 */
public interface ShutdownDrain {

    /** How long the covered work may run on its own once the shutdown has begun; zero for no drain. */
    Duration period();

    /** Whether a task with this token belongs to the drained work (and must not be cancelled before the drain ends). */
    boolean covers(CancellationToken taskToken);

    /**
     * Waits until no covered work is in flight or {@code timeout} has passed.
     *
     * @return {@code true} if nothing is in flight any more
     */
    boolean awaitIdle(Duration timeout) throws InterruptedException;

    /** Cancels the work still in flight, with {@code reason}; returns how many units of work it cancelled. */
    int cancelRemaining(CancellationReason reason);
}
