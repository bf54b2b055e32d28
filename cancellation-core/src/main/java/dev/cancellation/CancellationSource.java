package dev.cancellation;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The controlling side of a cancellation, like .NET's {@code CancellationTokenSource} or the cancel function
 * of Go's {@code context.WithCancel}: whoever holds the source can cancel; code that only needs to observe gets
 * the {@link #token()}.
 *
 * <ul>
 *   <li>{@link #create()}: a root that is cancelled only explicitly;</li>
 *   <li>{@link #withTimeout(Duration)} / {@link #withDeadline(Instant)}: cancelled with a
 *       {@link CancellationReason.Kind#TIMEOUT} reason (origin {@code "deadline"}) when the time comes;</li>
 *   <li>{@link #childOf(CancellationToken)}: cancelled when the parent is, with the parent's reason;</li>
 *   <li>{@link #linkedTo(CancellationToken...)}: cancelled when any of the given tokens is, with its reason.</li>
 * </ul>
 *
 * <p>{@link #cancel(CancellationReason)} is idempotent: only the first cancellation of the token (by this
 * source, a parent or a deadline) has an effect; {@code cancel} returns whether it was this call.
 *
 * <p>{@link #close()} releases the source <em>without cancelling</em> (like .NET's {@code Dispose}, unlike Go's
 * cancel function): its timer is cancelled and its token is detached from its parents, so nothing refers to it
 * any more and a later cancellation of a parent no longer reaches it. The token keeps its current state, and can
 * still be cancelled through this source. Close every source you create, typically with try-with-resources,
 * especially children of long-lived tokens. A child that is cancelled is detached from its parents too; one
 * that is dropped without being closed or cancelled is detached once it has been garbage collected (unless it
 * still has active callbacks: see {@link CancellationToken}).
 *
 * <p>Deadlines do not cost a thread: all sources share one daemon timer thread, which marks a token that times
 * out as cancelled and hands its callbacks (if any) to a small pool of callback threads, so that no callback
 * delays another deadline. Arming and disarming a deadline take no lock. A pending timer refers only to the
 * token; as soon as the token is cancelled (by any path) or its source is closed, the timer lets go of the token,
 * and drops its own small entry within about a millisecond.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently.
 */
public final class CancellationSource implements AutoCloseable {

    /** The only field: a source costs its header and one reference (its closed flag lives in the token). */
    private final CancellationToken token;

    private CancellationSource(CancellationToken[] parents) {
        int live = 0;
        for (CancellationToken parent : parents) {
            Objects.requireNonNull(parent, "parent token");
            if (!parent.isNone()) {
                live++;
            }
        }
        @Nullable Node[] parentLinks = (live == 0) ? Node.EMPTY : new Node[live]; // filled in below
        this.token = new CancellationToken(parentLinks);
        CancellationReason inherited = null;
        int index = 0;
        for (CancellationToken parent : parents) {
            if (!parent.isNone()) {
                Node link = parent.linkChild(token);
                parentLinks[index++] = link;
                if (link.state != Node.ACTIVE && inherited == null) {
                    inherited = parent.reasonOrNull();
                }
            }
        }
        inherit(inherited);
    }

    /** A child of one parent (or a root, for {@code none()}): no array of parents to walk. */
    private CancellationSource(CancellationToken parent, @Nullable Consumer<? super CancellationReason> observer) {
        this.token = new CancellationToken(observer);
        if (!parent.isNone()) {
            Node link = parent.linkChild(token);
            token.linkedInParent(link);
            inherit((link.state != Node.ACTIVE) ? parent.reasonOrNull() : null);
        }
    }

    private void inherit(@Nullable CancellationReason inherited) {
        if (inherited != null) {
            token.cancel(inherited);
        }
        if (token.isCancelled()) {
            // A parent cancelled us while we were still linking to the others: leave none of them holding us.
            token.detachFromParents();
        }
    }

    /** A new root source, cancelled only explicitly. Like Go's {@code WithCancel(Background())}. */
    public static CancellationSource create() {
        return new CancellationSource(CancellationToken.none(), null);
    }

    /**
     * A new root source cancelled with a {@code TIMEOUT} reason after the given duration; {@link Duration#ZERO}
     * returns a source that is already cancelled.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static CancellationSource withTimeout(Duration timeout) {
        CancellationSource source = create();
        source.cancelAfter(timeout);
        return source;
    }

    /**
     * A new root source cancelled with a {@code TIMEOUT} reason at the given instant; if it has already passed,
     * the returned source is already cancelled.
     */
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
        return new CancellationSource(Objects.requireNonNull(parent, "parent"), null);
    }

    /**
     * A child of {@code parent} that also times out after {@code timeout} (no timeout when {@code null}), like
     * Go's {@code context.WithTimeout}: whichever comes first, the parent's cancellation or the timeout, wins.
     *
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static CancellationSource childOf(CancellationToken parent, @Nullable Duration timeout) {
        return childOf(parent, timeout, System.nanoTime(), null);
    }

    /**
     * Like {@link #childOf(CancellationToken, Duration)}, with an observer told of the token's cancellation and
     * the timeout counted from a clock reading the caller already took: for code that creates tokens on a hot
     * path and must react to their cancellation itself (a task registry, a request filter), at no cost per token
     * beyond a field.
     *
     * <p>The observer is called once when the token is cancelled, like a callback registered first with
     * {@link CancellationToken#onCancel}: on the cancelling thread, or a callback thread for a deadline, and at
     * once on this thread if the parent is already cancelled (before this method returns). Unlike a registered
     * callback it cannot be deregistered and does not keep the token reachable from its parents; closing the
     * source drops it, though a cancellation racing with {@code close()} may still call it, so the observer must
     * check the state it is told about rather than assume it.
     *
     * @param timeout the timeout; {@code null} for none
     * @param startNanos a {@link System#nanoTime()} reading, taken just before, from which the timeout runs
     * @param observer called with the reason; {@code null} for none
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static CancellationSource childOf(CancellationToken parent, @Nullable Duration timeout, long startNanos,
            @Nullable Consumer<? super CancellationReason> observer) {
        CancellationSource source = new CancellationSource(Objects.requireNonNull(parent, "parent"), observer);
        if (timeout != null) {
            source.cancelAfter(timeout, true, startNanos);
        }
        return source;
    }

    /**
     * A source whose token is cancelled when any of the given tokens is (with that token's reason, or the reason
     * of the first of them if several already are), like .NET's {@code CreateLinkedTokenSource}. Its
     * {@linkplain CancellationToken#deadline() deadline} is the earliest of theirs. {@link CancellationToken#none()}
     * entries are ignored; with no (other) tokens the result is a root.
     *
     * @throws NullPointerException if {@code tokens} or one of them is {@code null}
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
     * Cancels the token with a {@code TIMEOUT} reason after {@code delay}, replacing any timer set earlier (like
     * .NET's {@code CancelAfter}); the token's own deadline becomes now plus {@code delay}, even if that is later
     * than before. {@link Duration#ZERO} cancels at once, on this thread. Does nothing if the token is already
     * cancelled or this source is closed.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public void cancelAfter(Duration delay) {
        cancelAfter(delay, false, 0);
    }

    /**
     * With {@code fresh}, this source has not been handed out yet: nobody can race to set its first timer, and
     * the delay runs from {@code startNanos} (a {@link System#nanoTime()} reading).
     */
    private void cancelAfter(Duration delay, boolean fresh, long startNanos) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("Cancellation delay must not be negative: " + delay);
        }
        if (token.isSourceClosed() || token.isCancelled()) {
            return;
        }
        // The reason and the wall-clock deadline are built only if needed (when it fires / deadline() is called).
        schedule(fresh ? new Deadline(token, delay, startNanos) : new Deadline(token, delay), delay.isZero(), fresh);
    }

    /**
     * Cancels the token with a {@code TIMEOUT} reason at {@code deadline} (at once, on this thread, if it has
     * passed), replacing any timer set earlier. Does nothing if the token is already cancelled or this source is
     * closed.
     */
    public void cancelAt(Instant deadline) {
        Objects.requireNonNull(deadline, "deadline");
        if (token.isSourceClosed() || token.isCancelled()) {
            return;
        }
        Duration delay = Duration.between(Instant.now(), deadline);
        boolean passed = delay.isNegative() || delay.isZero();
        schedule(new Deadline(token, deadline, passed ? Duration.ZERO : delay), passed, false);
    }

    private void schedule(Deadline next, boolean due, boolean fresh) {
        // the token holds the timer entry; the entry holds the token, never this source
        if (fresh) {
            token.setFirstTimer(next);
        } else {
            token.replaceTimer(next);
        }
        if (due) {
            cancel(next.reason());
            return;
        }
        Timer.SHARED.arm(next);
        if (token.isSourceClosed() || token.isCancelled()) {
            next.cancel(); // lost a race with close() or cancel(), which may have missed the new timer
        }
    }

    /** Cancels with a {@code REQUESTED} reason. Returns whether this call cancelled the token. */
    public boolean cancel() {
        return cancel(CancellationReason.requested("CancellationSource.cancel()"));
    }

    /**
     * Cancels the token and all its live descendants with the given reason, then runs their callbacks on this
     * thread before returning. Idempotent: only the first cancellation (by any thread, a parent or the timer)
     * wins; later calls do nothing. Also stops the timer and detaches the token from its parents. Works on a
     * closed source too. Never throws because of a callback; failures go to the
     * {@linkplain Cancellation#setCallbackFailureHandler callback failure handler}.
     *
     * @return {@code true} if this call cancelled the token, {@code false} if it was already cancelled
     */
    public boolean cancel(CancellationReason reason) {
        Objects.requireNonNull(reason, "reason");
        return token.cancel(reason);
    }

    /**
     * Releases this source without cancelling: stops its timer and detaches its token from its parents, so
     * neither refers to it any more and their cancellation no longer reaches it. Idempotent. The token keeps its
     * state and its callbacks; {@link #cancel} still works. Does not close the sources of descendants: they stay
     * attached to this token.
     */
    @Override
    public void close() {
        if (!token.closeSource()) {
            return;
        }
        token.cancelTimer();
        token.detachFromParents();
    }

    @Override
    public String toString() {
        return "CancellationSource[" + token + (token.isSourceClosed() ? ", closed" : "") + "]";
    }
}
