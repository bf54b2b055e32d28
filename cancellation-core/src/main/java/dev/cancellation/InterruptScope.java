package dev.cancellation;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * While open, cancellation of a token interrupts the thread that opened the scope (after an optional grace
 * period): the opt-in escalation for code blocked in interruptible calls ({@code BlockingQueue.take},
 * {@code Thread.sleep}, interruptible channels, {@code Future.get}). Created by
 * {@link Cancellation#interruptOnCancel}. If the token is already cancelled when the scope opens, the interrupt
 * comes at once (or after the grace period). At most one interrupt is delivered per scope.
 *
 * <p>Closing the scope disarms it; if an interrupt was already delivered by this scope, closing consumes it
 * (clears the thread's interrupt flag), so that the thread, often a pooled one, does not carry it into unrelated
 * work. An interrupt that someone else delivered is left alone: this scope never interrupts a thread that is
 * already interrupted. (Java cannot tell interrupts apart: one that someone else delivers after this scope's own
 * is consumed with it.) Must be closed on the thread that opened it, and must be closed: until then the token
 * keeps a callback that refers to the thread. {@link #interruptDelivered()} may be read from any thread.
 */
public final class InterruptScope extends InterruptibleSection implements AutoCloseable {

    private final Registration registration;
    private volatile @Nullable TimerEntry graceTimer;

    InterruptScope(CancellationToken token, Duration grace) {
        super(Thread.currentThread(), true);
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(grace, "grace");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("Interrupt grace period must not be negative: " + grace);
        }
        this.registration = token.onCancel(reason -> {
            if (grace.isZero()) {
                interruptOwner();
            } else {
                graceTimer = Timer.schedule(this::interruptOwner, grace);
                if (isLeft()) {
                    cancelGraceTimer();
                }
            }
        });
    }

    /** Whether this scope has interrupted its thread. */
    @Override
    public boolean interruptDelivered() {
        return super.interruptDelivered();
    }

    /**
     * Disarms the scope (a pending grace timer is cancelled, a later cancellation interrupts nobody) and consumes
     * an interrupt that it delivered. Idempotent. Call on the thread that opened it; on another thread it only
     * disarms. If the interrupt is being delivered at this very moment, waits for that to finish (a few
     * instructions), so that it is consumed rather than left behind.
     */
    @Override
    public void close() {
        registration.close();
        if (leave()) {
            cancelGraceTimer();
        }
    }

    private void cancelGraceTimer() {
        TimerEntry timer = graceTimer;
        if (timer != null) {
            timer.cancel();
        }
    }
}
