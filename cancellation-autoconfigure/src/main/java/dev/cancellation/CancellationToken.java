package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * The observing side of a cancellation: handed to code that must notice, at a safe point, that it should stop.
 *
 * <p>A token is created and controlled by a {@link CancellationSource}. It starts <em>live</em> and can be
 * cancelled at most once; after that it stays cancelled forever and reports the same {@link CancellationReason}.
 * Code observes cancellation by polling {@link #isCancelled()} / {@link #throwIfCancelled()}, by registering a
 * callback with {@link #onCancel}, or by waiting on {@link #whenCancelled()}.
 *
 * <h2>Trees</h2>
 * Tokens form trees: {@link CancellationSource#childOf(CancellationToken)} creates a child. Cancelling a token
 * cancels every descendant with the same reason before {@code cancel} returns; cancelling a child never
 * affects its parent. A child whose source is {@linkplain CancellationSource#close() closed} is detached from
 * its parent at once. A child that becomes unreachable without being closed, and has no callbacks of its own, is
 * detached after garbage collection, so long-lived parents do not accumulate dead children. A child that has
 * callbacks (or children with callbacks) is kept by its parent until it is cancelled or closed, so its callbacks
 * are never lost.
 *
 * <h2>Callbacks</h2>
 * A callback registered with {@link #onCancel} runs exactly once, on the thread that cancels (which may be the
 * shared timer thread for deadlines), after the whole subtree has been marked cancelled, in registration order
 * per token. If the token is already cancelled, it runs at once on the registering thread. A callback that
 * throws does not stop the others: the failures are collected and reported to the
 * {@linkplain Cancellation#setCallbackFailureHandler callback failure handler}. Callbacks should be short and
 * must not block: hand longer work to an executor.
 *
 * <h2>Thread-safety</h2>
 * Every method is safe to call from any thread. {@link #isCancelled()} is a single volatile read; it never
 * locks or allocates. Registration and deregistration take a short per-token spin lock (never held while user
 * code runs, never a monitor, so virtual threads are not pinned).
 */
public final class CancellationToken {

    private static final CancellationToken NONE = new CancellationToken(null, null);

    /** Non-null once cancelled. Written under {@link #lock}, read without it. */
    private volatile CancellationReason reason;

    /** Deadline set by this token's own source; {@code null} for none. */
    private volatile Instant ownDeadline;

    /** Links of this token in its parents' lists (empty for a root). */
    private final Node[] parentLinks;

    /** Registered callbacks and child links, a doubly-linked list guarded by {@link #lock}. */
    private Node head;
    private Node tail;

    /** 0 free, 1 held. */
    @SuppressWarnings("unused")
    private volatile int lock;

    /** Set once this token has observers that must not be lost with it (callbacks, observed children). */
    private volatile boolean observed;

    private volatile CompletionStage<CancellationReason> whenCancelled;

    private static final VarHandle LOCK;
    private static final VarHandle WHEN_CANCELLED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            LOCK = lookup.findVarHandle(CancellationToken.class, "lock", int.class);
            WHEN_CANCELLED = lookup.findVarHandle(CancellationToken.class, "whenCancelled", CompletionStage.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    CancellationToken(Node[] parentLinks, Instant ownDeadline) {
        this.parentLinks = (parentLinks == null) ? Node.EMPTY : parentLinks;
        this.ownDeadline = ownDeadline;
    }

    /**
     * A token that is never cancelled. Callbacks registered on it are dropped (they could never run), so it
     * retains nothing. Children of it are roots.
     */
    public static CancellationToken none() {
        return NONE;
    }

    /**
     * The token bound to the running code by {@link Cancellation#bind}, {@link Cancellation#enter} or a
     * {@code @Cancellable} method, or {@link #none()} when nothing is bound. Thread-bound: it follows the code
     * across executors only where context propagation is set up.
     */
    public static CancellationToken current() {
        return Cancellation.currentToken();
    }

    /** {@code true} if this is {@link #none()}, the token that can never be cancelled. */
    public boolean isNone() {
        return this == NONE;
    }

    /** Whether this token has been cancelled. A single volatile read: cheap enough for the tightest loop. */
    public boolean isCancelled() {
        return reason != null;
    }

    /** The reason, once cancelled; empty while live. */
    public Optional<CancellationReason> reason() {
        return Optional.ofNullable(reason);
    }

    /**
     * Throws if this token has been cancelled; does nothing otherwise.
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
     * The earliest deadline of this token and its ancestors, if any has one. The token is cancelled with a
     * {@link CancellationReason.Kind#TIMEOUT} reason when it passes (unless the source was closed first).
     */
    public Optional<Instant> deadline() {
        return Optional.ofNullable(earliestDeadline());
    }

    Instant earliestDeadline() {
        Instant earliest = ownDeadline;
        for (Node link : parentLinks) {
            Instant inherited = link.owner.earliestDeadline();
            if (inherited != null && (earliest == null || inherited.isBefore(earliest))) {
                earliest = inherited;
            }
        }
        return earliest;
    }

    void setOwnDeadline(Instant deadline) {
        this.ownDeadline = deadline;
    }

    /**
     * Registers a callback to run once when this token is cancelled.
     *
     * <p>If the token is already cancelled the callback runs at once, on this thread, before this method returns
     * (an exception it throws is reported like any callback failure, not thrown here). Otherwise it runs on the
     * cancelling thread. Close the returned registration when the callback is no longer wanted: it then no longer
     * holds memory in this token.
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
            runCallbacks(List.of(node), reason);
        } else {
            markObserved();
        }
        return node;
    }

    /**
     * A stage that completes with the reason when this token is cancelled, and never completes otherwise.
     * Callers cannot complete it themselves ({@code toCompletableFuture()} returns a copy). Dependent actions
     * run on the cancelling thread unless an async variant is used.
     */
    public CompletionStage<CancellationReason> whenCancelled() {
        CompletionStage<CancellationReason> stage = whenCancelled;
        if (stage != null) {
            return stage;
        }
        CompletableFuture<CancellationReason> future = new CompletableFuture<>();
        CompletionStage<CancellationReason> candidate = future.minimalCompletionStage();
        Object witness = WHEN_CANCELLED.compareAndExchange(this, null, candidate);
        if (witness != null) {
            @SuppressWarnings("unchecked")
            CompletionStage<CancellationReason> existing = (CompletionStage<CancellationReason>) witness;
            return existing;
        }
        if (this != NONE) {
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
     * Links a child below this token. If this token is already cancelled, the child is cancelled with the same
     * reason instead, before this method returns.
     */
    Node linkChild(CancellationToken child) {
        Node node = new Node(this, null, child);
        if (!link(node)) {
            child.cancel(reason);
            return node;
        }
        if (child.observed) {
            node.strongChild = child;
        }
        return node;
    }

    /**
     * Cancels this token and every descendant with the given reason.
     *
     * @return {@code true} if this call cancelled this token, {@code false} if it was already cancelled
     */
    boolean cancel(CancellationReason cancelReason) {
        Node detached = markCancelled(cancelReason);
        if (detached == MARK_FAILED) {
            return false;
        }
        // Phase 1: mark the whole subtree cancelled, so callbacks see a consistent tree.
        List<Node> callbacks = new ArrayList<>();
        ArrayDeque<Node> pending = new ArrayDeque<>();
        if (detached != null) {
            pending.add(detached);
        }
        while (!pending.isEmpty()) {
            for (Node node = pending.poll(); node != null; node = node.next) {
                if (!node.fire()) {
                    continue;
                }
                if (node.callback != null) {
                    callbacks.add(node);
                } else {
                    CancellationToken child = node.child();
                    node.strongChild = null;
                    if (child != null) {
                        Node grandchildren = child.markCancelled(cancelReason);
                        if (grandchildren != MARK_FAILED && grandchildren != null) {
                            pending.add(grandchildren);
                        }
                    }
                }
            }
        }
        // Phase 2: run the callbacks outside any lock.
        runCallbacks(callbacks, cancelReason);
        return true;
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
            tail = null;
            return detached;
        } finally {
            release();
        }
    }

    private static void runCallbacks(List<Node> callbacks, CancellationReason cancelReason) {
        List<Throwable> failures = null;
        for (Node node : callbacks) {
            @SuppressWarnings("unchecked")
            Consumer<CancellationReason> callback = (Consumer<CancellationReason>) node.callback;
            node.callback = null;
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

    /** Appends a node; returns {@code false} (without linking) if this token is already cancelled. */
    private boolean link(Node node) {
        Cancellation.expungeStaleChildren();
        acquire();
        try {
            if (reason != null) {
                return false;
            }
            Node last = tail;
            node.prev = last;
            if (last == null) {
                head = node;
            } else {
                last.next = node;
            }
            tail = node;
            return true;
        } finally {
            release();
        }
    }

    /** Removes a node that was deregistered; a no-op once cancelled (the canceller owns the detached list). */
    void unlink(Node node) {
        acquire();
        try {
            if (reason != null || node.owner != this) {
                return;
            }
            Node before = node.prev;
            Node after = node.next;
            if (before == null) {
                if (head != node) {
                    return; // already unlinked
                }
                head = after;
            } else {
                before.next = after;
            }
            if (after == null) {
                tail = before;
            } else {
                after.prev = before;
            }
            node.prev = null;
            node.next = null;
        } finally {
            release();
        }
    }

    /** From now on this token is held strongly by its parents, so that its observers are not lost. */
    private void markObserved() {
        if (observed) {
            return;
        }
        observed = true;
        for (Node link : parentLinks) {
            if (link.state == Node.ACTIVE) {
                link.strongChild = this;
            }
            link.owner.markObserved();
        }
    }

    private void acquire() {
        while (!LOCK.weakCompareAndSetAcquire(this, 0, 1)) {
            Thread.onSpinWait();
        }
    }

    private void release() {
        LOCK.setRelease(this, 0);
    }
}
