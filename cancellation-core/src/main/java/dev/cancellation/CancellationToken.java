package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The observing side of a cancellation: handed to code that must notice, at a safe point, that it should stop.
 *
 * <p>A token is created and controlled by a {@link CancellationSource}. It starts <em>live</em> and can be
 * cancelled at most once; after that it stays cancelled forever and always reports the same
 * {@link CancellationReason} instance. Code observes cancellation by polling {@link #isCancelled()} /
 * {@link #throwIfCancelled()}, by registering a callback with {@link #onCancel}, or by waiting on
 * {@link #whenCancelled()}. Cancellation is cooperative: nothing stops the code that holds the token unless it
 * looks (see {@link Cancellation#interruptOnCancel} for the opt-in escalation to interrupts).
 *
 * <h2>Trees</h2>
 * Tokens form trees (directed acyclic graphs with {@link CancellationSource#linkedTo linked} sources):
 * {@link CancellationSource#childOf(CancellationToken)} creates a child.
 * <ul>
 *   <li>Cancelling a token cancels every live descendant with the <em>same</em> reason instance; all of them are
 *       marked cancelled before any callback runs and before {@code cancel} returns. (A descendant that another
 *       thread is cancelling at the same moment keeps the reason of whichever cancellation reached it first, and
 *       that thread finishes marking its subtree.)</li>
 *   <li>Cancelling a child never affects its parent or its siblings.</li>
 *   <li>A child created under an already cancelled parent is cancelled at once, with the parent's reason, before
 *       its source is returned. A child created while its parent is being cancelled ends up cancelled too: no
 *       cancellation is ever lost.</li>
 *   <li>A parent holds no memory for a child that is no longer attached: a child is detached when its source is
 *       {@linkplain CancellationSource#close() closed}, when it is cancelled, and, if it becomes unreachable
 *       without either, after it has been garbage collected. The one exception: a child with <em>active</em>
 *       callbacks (or with descendants that have some) is held by its parent, so that those callbacks still run
 *       when the parent is cancelled; once its callbacks are deregistered it is only weakly held again.</li>
 * </ul>
 *
 * <h2>Callbacks</h2>
 * A callback registered with {@link #onCancel} runs exactly once if the token is cancelled, and never if it is
 * deregistered first. It runs on the thread that cancels, after the whole subtree has been marked cancelled; when a
 * deadline cancels, on a thread of the library's bounded callback pool ({@code cancellation-callback-N}), never on
 * the shared timer thread, so that a slow callback delays no other timeout. The callbacks of one token run in
 * registration order, those of a token before those of its descendants. If the token is already cancelled, the
 * callback runs at once on the registering thread. A callback that throws does not stop the others: the failures
 * are collected and reported, one {@link CancellationCallbackException} per cancellation, to the
 * {@linkplain Cancellation#setCallbackFailureHandler callback failure handler}; {@code cancel} itself never
 * throws because of a callback. Callbacks may call any method of this library (register, deregister, cancel
 * other sources), but should be short: they delay every later callback of the same cancellation (and hold one
 * of the pool's threads); hand longer work to an executor.
 *
 * <h2>Thread-safety</h2>
 * Every method is safe to call from any thread, concurrently. {@link #isCancelled()} is a single volatile read;
 * it never locks or allocates. Registration and deregistration take a short per-token spin lock (never held while
 * user code runs, never a monitor, so virtual threads are not pinned; a waiter spins briefly, then yields, then
 * parks with a growing backoff, so a preempted holder does not cost the others their time slices); when a token gains its first or loses its
 * last callback, they also take the locks of its ancestors, always child before parent.
 */
public final class CancellationToken extends TokenList {

    private static final CancellationToken NONE = new CancellationToken((Consumer<CancellationReason>) null);

    /** What registering on {@link #none()} returns: the callback was dropped, there is nothing to deregister. */
    private static final Registration DROPPED = () -> false;

    /**
     * The token bound to each thread (see {@link #current()}), {@code null} where none is. Written by
     * {@link Cancellation}'s {@code bind}, {@code enter} and {@code restore}; it lives here so that the token reads
     * it without calling up into those helpers.
     */
    private static final ThreadLocal<@Nullable CancellationToken> BOUND = new ThreadLocal<>();

    /**
     * The deadline set by this token's own source (a {@link Deadline}), {@code null} for none. Kept after it is
     * disarmed (by cancellation or by closing the source), for {@link #deadline()}; a disarmed entry no longer
     * refers to this token. Held as a plain timer entry: the token needs only its instant and its disarming.
     */
    private volatile @Nullable TimerEntry timer;

    private volatile @Nullable CompletionStage<CancellationReason> whenCancelled;

    /**
     * The observer given by the creator of this token's source ({@link CancellationSource#childOf(CancellationToken,
     * java.time.Duration, long, Consumer)}), {@code null} for none, or {@link #SOURCE_CLOSED} once the source is closed
     * (which is where the source keeps its closed flag). A canceller may still see an observer being replaced,
     * which is why observers check what they are told.
     */
    private volatile @Nullable Consumer<? super CancellationReason> observer;

    private static final Consumer<CancellationReason> SOURCE_CLOSED = reason -> { };

    private static final VarHandle WHEN_CANCELLED;
    private static final VarHandle TIMER;
    private static final VarHandle OBSERVER;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            WHEN_CANCELLED = lookup.findVarHandle(CancellationToken.class, "whenCancelled", CompletionStage.class);
            TIMER = lookup.findVarHandle(CancellationToken.class, "timer", TimerEntry.class);
            OBSERVER = lookup.findVarHandle(CancellationToken.class, "observer", Consumer.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** A token with several parents, whose links the source fills in. */
    CancellationToken(@Nullable Node[] parentLinks) {
        super((parentLinks.length == 0) ? null : parentLinks);
    }

    /** A root or a child of one parent (its source records the link), with an observer or {@code null}. */
    CancellationToken(@Nullable Consumer<? super CancellationReason> observer) {
        super(null);
        if (observer != null) {
            OBSERVER.set(this, observer); // plain: the token is published later, by its parent's lock or a volatile
        }
    }

    /**
     * The token that is never cancelled, the equivalent of Go's {@code context.Background()}: a constant.
     * Callbacks registered on it are dropped at once (they could never run), so it retains nothing; its
     * {@link #whenCancelled()} never completes; a {@linkplain CancellationSource#childOf child} of it is a root.
     */
    public static CancellationToken none() {
        return NONE;
    }

    /**
     * The token bound to the running code on this thread by {@link Cancellation#bind},
     * {@link Cancellation#enter} or a {@code @Cancellable} method (the innermost binding wins), or {@link #none()}
     * when nothing is bound. Thread-bound: it is not inherited by threads the code starts; it follows the code
     * across executors only where it is passed explicitly ({@link Cancellation#wrap}) or context propagation is
     * set up.
     */
    public static CancellationToken current() {
        CancellationToken token = BOUND.get();
        return (token != null) ? token : NONE;
    }

    /** The token bound to this thread, or {@code null} if none is (not {@link #none()}: the raw binding). */
    static @Nullable CancellationToken boundOrNull() {
        return BOUND.get();
    }

    /** Binds {@code token} to this thread, or with {@code null} leaves it unbound. */
    static void bind(@Nullable CancellationToken token) {
        BOUND.set(token); // not remove() for null: the next binding would allocate the thread's entry again
    }

    /** {@code true} if this is {@link #none()}, the token that can never be cancelled. */
    public boolean isNone() {
        return this == NONE;
    }

    /**
     * Whether this token was created under {@code ancestor}: as its child, or as a child of one of its
     * descendants (through any parent of a {@linkplain CancellationSource#linkedTo linked} token). Ancestry is
     * fixed when a token is created; closing or cancelling a token does not change the answer. A token is not
     * its own descendant, and a root is a descendant of no token.
     * Walks the ancestors without locking.
     */
    public boolean isDescendantOf(CancellationToken ancestor) {
        Objects.requireNonNull(ancestor, "ancestor");
        return hasAncestor(ancestor);
    }

    /**
     * Whether this token has been cancelled. Once {@code true}, always {@code true}. A single volatile read (it
     * never locks or allocates): cheap enough for the tightest loop. A {@code true} result happens-after the
     * cancellation: everything the cancelling thread did before {@code cancel} is visible.
     */
    public boolean isCancelled() {
        return reason != null;
    }

    /** The reason, once cancelled (always the same instance); empty while live. */
    public Optional<CancellationReason> reason() {
        return Optional.ofNullable(reason);
    }

    /**
     * Throws if this token has been cancelled; does nothing otherwise. The checkpoint to call in loops and
     * between steps.
     *
     * @throws TaskCancelledException carrying the reason ({@link TaskTimeoutException} for a timeout)
     */
    public void throwIfCancelled() {
        CancellationReason current = reason;
        if (current != null) {
            throw TaskCancelledException.of(current);
        }
    }

    /**
     * The earliest deadline of this token and its ancestors (all parents of a
     * {@linkplain CancellationSource#linkedTo linked} token), if any has one, like Go's {@code Context.Deadline}.
     * When it passes, the token is cancelled with a {@link CancellationReason.Kind#TIMEOUT} reason, unless the
     * source that owns that deadline was closed first (closing does not clear the value reported here). A later
     * {@link CancellationSource#cancelAfter} on this token's own source replaces its own deadline, which may
     * then be later than before.
     */
    public Optional<Instant> deadline() {
        return Optional.ofNullable(earliestDeadline());
    }

    @Nullable Instant earliestDeadline() {
        TimerEntry own = timer;
        Instant earliest = (own == null) ? null : own.instant();
        for (int i = 0, count = linkCount(); i < count; i++) {
            Node link = link(i);
            if (link == null) {
                continue;
            }
            Instant inherited = ((CancellationToken) link.owner).earliestDeadline(); // TokenList's only subclass
            if (inherited != null && (earliest == null || inherited.isBefore(earliest))) {
                earliest = inherited;
            }
        }
        return earliest;
    }

    /**
     * Registers a callback to run once when this token is cancelled, like tokio's {@code cancelled()} future or
     * .NET's {@code CancellationToken.Register}.
     *
     * <p>If the token is already cancelled, the callback runs at once, on this thread, before this method
     * returns (an exception it throws is reported to the callback failure handler like any callback failure, not
     * thrown here), and the returned registration is already spent. Otherwise the callback runs on the cancelling
     * thread, exactly once, unless the registration is closed first. Close the registration when the callback is
     * no longer wanted: it then no longer holds memory in this token. On {@link #none()} the callback is dropped.
     *
     * @param callback receives the reason
     * @return a registration whose {@code close()} deregisters the callback in O(1)
     */
    public Registration onCancel(Consumer<? super CancellationReason> callback) {
        Objects.requireNonNull(callback, "callback");
        if (this == NONE) {
            return DROPPED;
        }
        Node node = new Node(this, callback, null);
        if (!expungeAndLink(node)) {
            node.state = Node.FIRED;
            node.callback = null;
            SubtreeCancellation.runCallbacks(List.of(callback), reason);
        }
        return node;
    }

    /**
     * A stage that completes with the reason when this token is cancelled, and never completes otherwise (never
     * for {@link #none()}); already complete if the token is cancelled. Every call returns the same stage.
     * Callers cannot complete or cancel it ({@code toCompletableFuture()} returns an independent copy).
     * Dependent actions run on the cancelling thread, as cancellation callbacks, unless an async variant is
     * used.
     *
     * <p>The first call registers a callback for the token's whole life, so a child whose
     * {@code whenCancelled()} was asked for is held by its parent until it is cancelled or its source is closed.
     */
    public CompletionStage<CancellationReason> whenCancelled() {
        CompletionStage<CancellationReason> stage = whenCancelled;
        if (stage != null) {
            return stage;
        }
        CompletableFuture<CancellationReason> future = new CompletableFuture<>();
        CancellationReason known = reason;
        if (known != null) {
            future.complete(known); // no callback needed: it could never be deregistered anyway
        }
        CompletionStage<CancellationReason> candidate = future.minimalCompletionStage();
        Object witness = WHEN_CANCELLED.compareAndExchange(this, null, candidate);
        if (witness != null) {
            @SuppressWarnings("unchecked")
            CompletionStage<CancellationReason> existing = (CompletionStage<CancellationReason>) witness;
            return existing;
        }
        if (known == null && this != NONE) {
            onCancel(future::complete);
        }
        return candidate;
    }

    @Override
    public String toString() {
        CancellationReason current = reason;
        if (this == NONE) {
            return "CancellationToken[none]";
        }
        return "CancellationToken[" + ((current == null) ? "live" : "cancelled: " + current.describe()) + "]";
    }

    // ---------------------------------------------------------------- internals used by CancellationSource

    /**
     * Links a child below this token. If this token is already cancelled, nothing is linked and the returned
     * node is already retired: the caller must then cancel the child with {@link #reason}.
     */
    Node linkChild(CancellationToken child) {
        Node node = new Node(this, null, child);
        if (!expungeAndLink(node)) {
            node.retire();
        }
        return node;
    }

    /**
     * Links a node, after detaching the child links whose child was collected without being closed: every link
     * pays a bounded share of that, so a long-lived parent does not accumulate them. Outside the lock, because
     * expunging takes other tokens' locks.
     */
    private boolean expungeAndLink(Node node) {
        StaleChildren.expunge();
        return link(node);
    }

    @Nullable CancellationReason reasonOrNull() {
        return reason;
    }

    /**
     * Cancels this token and every descendant with the given reason, then runs their callbacks on this thread.
     *
     * @return {@code true} if this call cancelled this token, {@code false} if it was already cancelled
     */
    boolean cancel(CancellationReason cancelReason) {
        return cancel(cancelReason, false);
    }

    /**
     * Like {@link #cancel(CancellationReason)}; with {@code dispatchCallbacks}, the callbacks (if any) run on
     * {@link CallbackDispatcher}'s threads instead of this one (the timer thread's way). Marking is done here
     * either way, so the whole subtree reads as cancelled before this method returns.
     */
    boolean cancel(CancellationReason cancelReason, boolean dispatchCallbacks) {
        return SubtreeCancellation.cancel(this, cancelReason, dispatchCallbacks);
    }

    @Override
    @Nullable Consumer<? super CancellationReason> observerOrNull() {
        Consumer<? super CancellationReason> current = observer;
        return (current == SOURCE_CLOSED) ? null : current;
    }

    /** Installs the first deadline of a source nobody else holds yet: no other timer to replace, no race. */
    void setFirstTimer(TimerEntry first) {
        TIMER.setRelease(this, first);
    }

    /** Installs the deadline of this token's own source, disarming the one it replaces. */
    void replaceTimer(TimerEntry next) {
        TimerEntry previous = (TimerEntry) TIMER.getAndSet(this, next);
        if (previous != null) {
            previous.cancel();
        }
    }

    /** Disarms this token's deadline, if it has a pending one; keeps it for {@link #deadline()}. */
    @Override
    void cancelTimer() {
        TimerEntry current = timer;
        if (current != null && current.isPending()) {
            current.cancel();
        }
    }

    /** Marks this token's source closed and forgets the observer; {@code false} if it already was closed. */
    boolean closeSource() {
        if (observer == SOURCE_CLOSED) {
            return false;
        }
        // No atomic exchange: two racing closes may both go on, and what they do next is idempotent anyway. A
        // volatile write, though: with cancelAfter (timer written, then this flag read) it forms a Dekker pair.
        observer = SOURCE_CLOSED;
        return true;
    }

    boolean isSourceClosed() {
        return observer == SOURCE_CLOSED;
    }

}
