package dev.cancellation;

/**
 * A callback registered with {@link CancellationToken#onCancel}. Closing it deregisters the callback in O(1) and
 * releases what the token held for it (like dropping tokio's {@code WaitForCancellationFuture} or disposing .NET's
 * {@code CancellationTokenRegistration}).
 *
 * <p>Safe to close from any thread, any number of times; closing never throws and never blocks. Unlike .NET, it
 * does not wait for a running callback: once a cancellation has claimed the callback, deregistering does nothing
 * and the callback runs (or is running, or has run) on the cancelling thread. Use {@link #unregister()} to learn
 * which happened. A registration refers to its token: keep it only as long as the callback is wanted.
 */
public interface Registration extends AutoCloseable {

    /**
     * Deregisters the callback.
     *
     * @return {@code true} if this call prevented the callback from ever running; {@code false} if a cancellation
     *     has already claimed it (it then runs exactly once, possibly still after this method returns), or if it was
     *     already deregistered
     */
    boolean unregister();

    /** Deregisters the callback; same as {@link #unregister()} without the result. */
    @Override
    default void close() {
        unregister();
    }
}
