package dev.cancellation;

/**
 * A callback registered with {@link CancellationToken#onCancel}. Closing it deregisters the callback in O(1).
 *
 * <p>Safe to close from any thread, any number of times. Closing never throws and never blocks: if the
 * callback has already started (or finished) on the cancelling thread, closing does nothing.
 */
public interface Registration extends AutoCloseable {

    /**
     * Deregisters the callback.
     *
     * @return {@code true} if this call prevented the callback from ever running; {@code false} if it has already
     *     run or started, or was already deregistered
     */
    boolean unregister();

    /** Deregisters the callback; same as {@link #unregister()} without the result. */
    @Override
    default void close() {
        unregister();
    }
}
