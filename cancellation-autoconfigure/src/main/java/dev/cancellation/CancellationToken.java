package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

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
public final class CancellationToken {

    private static final CancellationToken NONE = new CancellationToken((Consumer<CancellationReason>) null);

    /** Non-null once cancelled. Written under the lock (see {@link #lockWord}), read without it. */
    private volatile CancellationReason reason;

    /**
     * The deadline set by this token's own source, {@code null} for none. Kept after it is disarmed (by
     * cancellation or by closing the source), for {@link #deadline()}; a disarmed entry no longer refers to
     * this token.
     */
    private volatile Deadline timer;

    /**
     * Links of this token in its parents' lists: {@code null} for a root, the {@link Node} for one parent (no
     * array), a {@code Node[]} for a {@linkplain CancellationSource#linkedTo linked} token. Filled by the source's
     * constructor after this token may already be visible to a cancelling parent, so readers tolerate a missing
     * link (see {@link #link(int)}).
     */
    private Object parentLinks;

    /**
     * Registered callbacks and child links, newest first: a doubly-linked list guarded by the lock (the canceller
     * restores registration order).
     */
    private Node head;

    /**
     * The per-token spin lock (bit 0: held) and, above it, the number of <em>observers</em>: active callbacks in
     * the list plus child links that hold their child strongly, changed only under the lock. While there are
     * observers, this token is held strongly by its parents (so its callbacks are not lost if nobody else refers
     * to it); with none, only weakly (so an abandoned token can be collected). One word for both keeps a token
     * small.
     */
    @SuppressWarnings("unused")
    private volatile int lockWord;

    private volatile CompletionStage<CancellationReason> whenCancelled;

    /**
     * The observer given by the creator of this token's source ({@link CancellationSource#childOf(CancellationToken,
     * java.time.Duration, Consumer)}), {@code null} for none, or {@link #SOURCE_CLOSED} once the source is closed
     * (which is where the source keeps its closed flag). A canceller may still see an observer being replaced,
     * which is why observers check what they are told.
     */
    private volatile Consumer<? super CancellationReason> observer;

    private static final Consumer<CancellationReason> SOURCE_CLOSED = reason -> { };

    private static final VarHandle LOCK;
    private static final VarHandle WHEN_CANCELLED;
    private static final VarHandle TIMER;
    private static final VarHandle OBSERVER;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            LOCK = lookup.findVarHandle(CancellationToken.class, "lockWord", int.class);
            WHEN_CANCELLED = lookup.findVarHandle(CancellationToken.class, "whenCancelled", CompletionStage.class);
            TIMER = lookup.findVarHandle(CancellationToken.class, "timer", Deadline.class);
            OBSERVER = lookup.findVarHandle(CancellationToken.class, "observer", Consumer.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** A token with several parents, whose links the source fills in. */
    CancellationToken(Node[] parentLinks) {
        this.parentLinks = (parentLinks.length == 0) ? null : parentLinks;
    }

    /** A root or a child of one parent (its source records the link), with an observer or {@code null}. */
    CancellationToken(Consumer<? super CancellationReason> observer) {
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
        return Cancellation.currentToken();
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
        for (int i = 0, count = linkCount(); i < count; i++) {
            Node link = link(i);
            if (link != null && (link.owner == ancestor || link.owner.isDescendantOf(ancestor))) {
                return true;
            }
        }
        return false;
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

    Instant earliestDeadline() {
        Deadline own = timer;
        Instant earliest = (own == null) ? null : own.instant();
        for (int i = 0, count = linkCount(); i < count; i++) {
            Node link = link(i);
            if (link == null) {
                continue;
            }
            Instant inherited = link.owner.earliestDeadline();
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
     * @param callback receives the reason; not {@code null}
     * @return a registration whose {@code close()} deregisters the callback in O(1)
     */
    public Registration onCancel(Consumer<? super CancellationReason> callback) {
        Objects.requireNonNull(callback, "callback");
        if (this == NONE) {
            return Node.DEAD;
        }
        Node node = new Node(this, callback, null);
        if (!link(node)) {
            node.state = Node.FIRED;
            node.callback = null;
            runCallbacks(List.of(callback), reason);
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
        if (!link(node)) {
            node.retire();
        }
        return node;
    }

    CancellationReason reasonOrNull() {
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
        Node detached = markCancelled(cancelReason);
        if (detached == MARK_FAILED) {
            return false;
        }
        cancelTimer();
        detachFromParents();
        // Phase 1: mark the whole subtree cancelled, so callbacks see a consistent tree. The queue holds, per
        // token, its observer (a Consumer, if any) and then its detached list (a Node): a token's callbacks are
        // collected before those of its descendants.
        List<Consumer<? super CancellationReason>> callbacks = new ArrayList<>();
        ArrayDeque<Object> pending = new ArrayDeque<>();
        enqueue(pending, observer, detached);
        while (!pending.isEmpty()) {
            Object next = pending.poll();
            if (!(next instanceof Node first)) {
                @SuppressWarnings("unchecked")
                Consumer<? super CancellationReason> tokenObserver = (Consumer<? super CancellationReason>) next;
                callbacks.add(tokenObserver);
                continue;
            }
            int firstOfList = callbacks.size();
            for (Node node = first; node != null; node = node.next) {
                if (!node.fire()) {
                    continue;
                }
                Consumer<?> callback = node.callback;
                if (callback != null) {
                    node.callback = null; // claimed by fire(): only this canceller runs it
                    @SuppressWarnings("unchecked")
                    Consumer<? super CancellationReason> claimed = (Consumer<? super CancellationReason>) callback;
                    callbacks.add(claimed);
                } else {
                    CancellationToken child = node.child();
                    node.strongChild = null;
                    if (child != null) {
                        Node grandchildren = child.markCancelled(cancelReason);
                        if (grandchildren != MARK_FAILED) {
                            child.cancelTimer();
                            child.detachFromParents(); // from its other parents, if it is a linked token
                            enqueue(pending, child.observer, grandchildren);
                        }
                    }
                }
            }
            Collections.reverse(callbacks.subList(firstOfList, callbacks.size())); // the list is newest first
        }
        // Phase 2: run the callbacks outside any lock.
        if (callbacks.isEmpty()) {
            return true;
        }
        if (dispatchCallbacks) {
            CallbackDispatcher.execute(() -> runCallbacks(callbacks, cancelReason));
        } else {
            runCallbacks(callbacks, cancelReason);
        }
        return true;
    }

    private static void enqueue(ArrayDeque<Object> pending, Consumer<? super CancellationReason> tokenObserver,
            Node list) {
        if (tokenObserver != null && tokenObserver != SOURCE_CLOSED) {
            pending.add(tokenObserver);
        }
        if (list != null) {
            pending.add(list);
        }
    }

    private static final Node MARK_FAILED = new Node(null, null, null);

    /** Sets the reason and detaches the list; returns {@link #MARK_FAILED} if already cancelled. */
    private Node markCancelled(CancellationReason cancelReason) {
        acquire();
        try {
            if (reason != null) {
                return MARK_FAILED;
            }
            reason = cancelReason;
            Node detached = head;
            head = null;
            return detached;
        } finally {
            release();
        }
    }

    /**
     * Removes this (cancelled or closed) token from its parents' lists: a cancelled token can never be cancelled
     * again, so its parents have no reason to keep it. Links already claimed by a cancelling parent are left
     * to that parent.
     */
    void detachFromParents() {
        for (int i = 0, count = linkCount(); i < count; i++) {
            Node link = link(i);
            if (link != null) {
                link.unregister();
            }
        }
    }

    /** Installs the first deadline of a source nobody else holds yet: no other timer to replace, no race. */
    void setFirstTimer(Deadline first) {
        TIMER.setRelease(this, first);
    }

    /** Installs the deadline of this token's own source, disarming the one it replaces. */
    void replaceTimer(Deadline next) {
        Deadline previous = (Deadline) TIMER.getAndSet(this, next);
        if (previous != null) {
            previous.cancel();
        }
    }

    /** Disarms this token's deadline, if it has a pending one; keeps it for {@link #deadline()}. */
    void cancelTimer() {
        Deadline current = timer;
        if (current != null && current.isPending()) {
            current.cancel();
        }
    }

    private static void runCallbacks(List<Consumer<? super CancellationReason>> callbacks,
            CancellationReason cancelReason) {
        List<Throwable> failures = null;
        for (Consumer<? super CancellationReason> callback : callbacks) {
            try {
                callback.accept(cancelReason);
            } catch (Throwable ex) {
                if (failures == null) {
                    failures = new ArrayList<>(2);
                }
                failures.add(ex);
            }
        }
        if (failures != null) {
            Cancellation.reportCallbackFailures(cancelReason, failures);
        }
    }

    /** Marks this token's source closed and forgets the observer; {@code false} if it already was closed. */
    boolean closeSource() {
        if (observer == SOURCE_CLOSED) {
            return false;
        }
        // No atomic exchange: two racing closes may both go on, and what they do next is idempotent anyway.
        OBSERVER.setRelease(this, SOURCE_CLOSED);
        return true;
    }

    boolean isSourceClosed() {
        return observer == SOURCE_CLOSED;
    }

    /** Appends a node; returns {@code false} (without linking) if this token is already cancelled. */
    private boolean link(Node node) {
        Cancellation.expungeStaleChildren(); // outside the lock: it takes other tokens' locks
        acquire();
        try {
            if (reason != null) {
                return false;
            }
            Node first = head;
            node.next = first;
            if (first != null) {
                first.prev = node;
            }
            head = node;
            if (node.callback != null && addObserver() == 1) {
                holdInParents(true);
            }
            return true;
        } finally {
            release();
        }
    }

    /**
     * Removes a node that was deregistered (its state is already {@code CLOSED}, so this runs once per node).
     * Once this token is cancelled the list belongs to the canceller, which skips closed nodes.
     */
    void unlink(Node node) {
        acquire();
        try {
            boolean observing = node.callback != null || node.strongChild != null;
            node.callback = null;
            node.strongChild = null;
            if (reason != null) {
                return;
            }
            Node before = node.prev;
            Node after = node.next;
            if (before == null) {
                head = after;
            } else {
                before.next = after;
            }
            if (after != null) {
                after.prev = before;
            }
            node.prev = null;
            node.next = null;
            if (observing && removeObserver() == 0) {
                holdInParents(false);
            }
        } finally {
            release();
        }
    }

    /**
     * Makes this token's links in its parents strong (it just gained its first observer) or weak again (it lost
     * its last). Called under this token's lock, so the calls for one token are applied in order; takes the
     * parents' locks, always child before parent, so it cannot deadlock.
     */
    private void holdInParents(boolean strong) {
        for (int i = 0, count = linkCount(); i < count; i++) {
            Node link = link(i);
            if (link != null) {
                link.owner.holdChild(link, this, strong);
            }
        }
    }

    /** Records the link of a token with one parent (see {@link CancellationSource}). */
    void linkedInParent(Node link) {
        parentLinks = link;
    }

    private int linkCount() {
        Object links = parentLinks;
        return (links == null) ? 0 : (links instanceof Node) ? 1 : ((Node[]) links).length;
    }

    /** The {@code index}th link, or {@code null} if it is not filled in yet. */
    private Node link(int index) {
        Object links = parentLinks;
        return (links instanceof Node single) ? single : (links == null) ? null : ((Node[]) links)[index];
    }

    private void holdChild(Node link, CancellationToken child, boolean strong) {
        acquire();
        try {
            if (reason != null || link.state != Node.ACTIVE) {
                return; // fired or closed: the canceller or unlink has taken over the link
            }
            if (strong) {
                if (link.strongChild == null) {
                    link.strongChild = child;
                    if (addObserver() == 1) {
                        holdInParents(true);
                    }
                }
            } else if (link.strongChild != null) {
                link.strongChild = null;
                if (removeObserver() == 0) {
                    holdInParents(false);
                }
            }
        } finally {
            release();
        }
    }

    /** For tests: the number of nodes (callbacks and child links) in this token's list. */
    int listSize() {
        acquire();
        try {
            int size = 0;
            for (Node node = head; node != null; node = node.next) {
                size++;
            }
            return size;
        } finally {
            release();
        }
    }

    /** For tests: whether this token is currently held strongly by its parents. */
    boolean isObserved() {
        acquire();
        try {
            return (lockWord >>> 1) > 0;
        } finally {
            release();
        }
    }

    /** Under the lock: one observer more; returns the new count. */
    private int addObserver() {
        int word = lockWord + 2;
        LOCK.set(this, word); // plain: only the holder writes it; release() publishes it
        return word >>> 1;
    }

    /** Under the lock: one observer less; returns the new count. */
    private int removeObserver() {
        int word = lockWord - 2;
        LOCK.set(this, word);
        return word >>> 1;
    }

    private void acquire() {
        int word = lockWord;
        if ((word & 1) != 0 || !LOCK.weakCompareAndSetAcquire(this, word, word | 1)) {
            acquireContended();
        }
    }

    /** Busy-spins this many times before yielding: critical sections are a few dozen instructions. */
    private static final int SPINS = 64;
    private static final int YIELDS = 4;
    private static final long MIN_PARK_NANOS = 1_000;
    private static final long MAX_PARK_NANOS = 256_000;

    /**
     * The holder is slow only when it has been preempted (an oversubscribed machine): spinning then burns the
     * time slice it needs, so after a short spin yield, then park with an exponential backoff. No monitor, so a
     * virtual thread waiting here unmounts instead of pinning its carrier.
     */
    private void acquireContended() {
        int attempts = 0;
        long parkNanos = MIN_PARK_NANOS;
        while (true) {
            int word = lockWord;
            if ((word & 1) == 0 && LOCK.weakCompareAndSetAcquire(this, word, word | 1)) {
                return;
            }
            if (attempts < SPINS) {
                attempts++;
                Thread.onSpinWait();
            } else if (attempts < SPINS + YIELDS) {
                attempts++;
                Thread.yield();
            } else {
                LockSupport.parkNanos(this, parkNanos);
                parkNanos = Math.min(parkNanos << 1, MAX_PARK_NANOS);
            }
        }
    }

    private void release() {
        LOCK.setRelease(this, lockWord & ~1);
    }
}
