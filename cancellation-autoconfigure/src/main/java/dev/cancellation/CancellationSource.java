package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;

/**
 * The controlling side of a cancellation, like .NET's {@code CancellationTokenSource} or the cancel function
 * of Go's {@code context.WithCancel}: whoever holds the source can cancel; code that only needs to observe gets
 * the {@link #token()}.
 *
 * <ul>
 *   <li>{@link #create()}: a root that is cancelled only explicitly;</li>
 *   <li>{@link #withTimeout(Duration)} / {@link #withDeadline(Instant)}: cancelled with a
 *       {@link CancellationReason.Kind#TIMEOUT} reason when the time comes;</li>
 *   <li>{@link #childOf(CancellationToken)}: cancelled when the parent is, with the parent's reason;</li>
 *   <li>{@link #linkedTo(CancellationToken...)}: cancelled when any of the given tokens is.</li>
 * </ul>
 *
 * <p>{@link #cancel(CancellationReason)} is idempotent: only the first call has an effect and returns
 * {@code true}. {@link #close()} releases the source without cancelling: its timer is cancelled and its token is
 * detached from its parents, so nothing refers to it any more; the token keeps its current state, and can still
 * be cancelled through this source. Always close sources of children of long-lived tokens (use
 * try-with-resources); a child that is dropped without being closed is detached once it has been garbage
 * collected.
 *
 * <p>Deadlines do not cost a thread: all sources share one daemon timer thread, which also runs the callbacks of
 * tokens that time out.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently.
 */
public final class CancellationSource implements AutoCloseable {

    private static final VarHandle TIMER;

    static {
        try {
            TIMER = MethodHandles.lookup().findVarHandle(CancellationSource.class, "timer", ScheduledFuture.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final CancellationToken token;
    private final Node[] parentLinks;
    private volatile ScheduledFuture<?> timer;
    private volatile boolean closed;

    private CancellationSource(CancellationToken[] parents) {
        int live = 0;
        for (CancellationToken parent : parents) {
            Objects.requireNonNull(parent, "parent token");
            if (!parent.isNone()) {
                live++;
            }
        }
        this.parentLinks = (live == 0) ? Node.EMPTY : new Node[live];
        this.token = new CancellationToken(parentLinks, null);
        int index = 0;
        for (CancellationToken parent : parents) {
            if (!parent.isNone()) {
                parentLinks[index++] = parent.linkChild(token);
            }
        }
    }

    /** A new root source, cancelled only explicitly. */
    public static CancellationSource create() {
        return new CancellationSource(new CancellationToken[0]);
    }

    /** A new root source cancelled with a {@code TIMEOUT} reason after the given duration. */
    public static CancellationSource withTimeout(Duration timeout) {
        CancellationSource source = create();
        source.cancelAfter(timeout);
        return source;
    }

    /** A new root source cancelled with a {@code TIMEOUT} reason at the given instant (at once if it has passed). */
    public static CancellationSource withDeadline(Instant deadline) {
        CancellationSource source = create();
        source.cancelAt(deadline);
        return source;
    }

    /**
     * A source whose token is a child of {@code parent}: cancelled (with the parent's reason) when the parent is,
     * at once if the parent already is. A child of {@link CancellationToken#none()} is a root.
     */
    public static CancellationSource childOf(CancellationToken parent) {
        return new CancellationSource(new CancellationToken[] {Objects.requireNonNull(parent, "parent")});
    }

    /** A child of {@code parent} that also times out after {@code timeout}. */
    public static CancellationSource childOf(CancellationToken parent, Duration timeout) {
        CancellationSource source = childOf(parent);
        if (timeout != null) {
            source.cancelAfter(timeout);
        }
        return source;
    }

    /**
     * A source whose token is cancelled when any of the given tokens is (with that token's reason), like .NET's
     * {@code CreateLinkedTokenSource}. Its deadline is the earliest of theirs.
     */
    public static CancellationSource linkedTo(CancellationToken... tokens) {
        Objects.requireNonNull(tokens, "tokens");
        return new CancellationSource(tokens.clone());
    }

    /** The token observed by the code this source controls. */
    public CancellationToken token() {
        return token;
    }

    /** Whether the token has been cancelled (by this source, a parent or a deadline). */
    public boolean isCancelled() {
        return token.isCancelled();
    }

    /**
     * Cancels the token after {@code delay}, replacing any timer set earlier (like .NET's {@code CancelAfter}).
     * Does nothing if the token is already cancelled or this source is closed.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public void cancelAfter(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("Cancellation delay must not be negative: " + delay);
        }
        schedule(plusSaturated(Instant.now(), delay), delay, CancellationReason.timeout(delay).message());
    }

    static Instant plusSaturated(Instant start, Duration delay) {
        try {
            return start.plus(delay);
        } catch (java.time.DateTimeException | ArithmeticException tooLate) {
            return Instant.MAX;
        }
    }

    /** Cancels the token at {@code deadline} (at once if it has passed), replacing any timer set earlier. */
    public void cancelAt(Instant deadline) {
        Objects.requireNonNull(deadline, "deadline");
        Duration delay = Duration.between(Instant.now(), deadline);
        schedule(deadline, delay.isNegative() ? Duration.ZERO : delay, "deadline " + deadline + " exceeded");
    }

    private void schedule(Instant deadline, Duration delay, String message) {
        if (closed || token.isCancelled()) {
            return;
        }
        token.setOwnDeadline(deadline);
        if (delay.isZero()) {
            cancel(new CancellationReason(CancellationReason.Kind.TIMEOUT, message, Instant.now(), "deadline"));
            return;
        }
        ScheduledFuture<?> next = Timer.schedule(() -> cancel(
                new CancellationReason(CancellationReason.Kind.TIMEOUT, message, Instant.now(), "deadline")), delay);
        ScheduledFuture<?> previous = (ScheduledFuture<?>) TIMER.getAndSet(this, next);
        if (previous != null) {
            previous.cancel(false);
        }
        if (closed) {
            cancelTimer();
        }
    }

    /** Cancels with a {@code REQUESTED} reason. Returns whether this call cancelled the token. */
    public boolean cancel() {
        return cancel(CancellationReason.requested("CancellationSource.cancel()"));
    }

    /**
     * Cancels the token and all its descendants with the given reason, then runs their callbacks on this
     * thread. Idempotent: only the first call (from any thread, or a parent, or the timer) wins.
     * Never throws because of a callback; failures go to the callback failure handler.
     *
     * @return {@code true} if this call cancelled the token, {@code false} if it was already cancelled
     */
    public boolean cancel(CancellationReason reason) {
        Objects.requireNonNull(reason, "reason");
        boolean cancelled = token.cancel(reason);
        if (cancelled) {
            cancelTimer();
        }
        return cancelled;
    }

    /**
     * Releases this source without cancelling: stops its timer and detaches its token from its parents, so
     * neither refers to it any more. Idempotent. The token keeps its state.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancelTimer();
        for (Node link : parentLinks) {
            link.unregister();
        }
    }

    private void cancelTimer() {
        ScheduledFuture<?> previous = (ScheduledFuture<?>) TIMER.getAndSet(this, null);
        if (previous != null) {
            previous.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "CancellationSource[" + token + (closed ? ", closed" : "") + "]";
    }
}
