package dev.cancellation;

/**
 * The logger of the token model's own failures (a callback failure report, a timer action that threw), kept apart
 * from {@link Cancellation} so that the parts below it log without calling up into it.
 *
 * <p>Thread-safety: a constant; {@link System.Logger} may be used from any thread.
 */
final class CancellationLog {

    /** Named after {@code Cancellation}, the name logging configurations know it by. */
    static final System.Logger LOGGER = System.getLogger("dev.cancellation.Cancellation");

    private CancellationLog() {
    }
}
