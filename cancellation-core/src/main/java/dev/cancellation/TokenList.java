package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The part of a {@link CancellationToken} that its lock guards: the reason, the list of callbacks and child links,
 * the count of observers that decides whether its parents hold it strongly or weakly, and its links in its
 * parents' lists. {@code CancellationToken} is the only subclass; this class exists so that the token's public
 * face and its list mechanics can each be read on their own. The engine below the public class ({@link Node},
 * {@link SubtreeCancellation}, {@link StaleChildren}) knows tokens by this type only, and asks the token for the
 * little it holds outside the list through {@link #cancelTimer()} and {@link #observerOrNull()}.
 *
 * <p>Thread-safety: the list and the observer count change only under the per-token spin lock
 * ({@link #acquire()}/{@link #release()}), which is never held while user code runs and is not a monitor (virtual
 * threads are not pinned); a waiter spins briefly, then yields, then parks with a growing backoff. A token that
 * gains its first or loses its last observer takes its ancestors' locks too, always child before parent, so
 * locks are never taken in a cycle. The reason is written under the lock and read without it.
 */
abstract class TokenList {

    /** What {@link #markCancelled} returns for a token that was already cancelled (an empty list is {@code null}). */
    static final Node MARK_FAILED = Node.marker();

    /** Non-null once cancelled. Written under the lock (see {@link #lockWord}), read without it. */
    volatile @Nullable CancellationReason reason;

    /**
     * Links of this token in its parents' lists: {@code null} for a root, the {@link Node} for one parent (no
     * array), a {@code Node[]} for a {@linkplain CancellationSource#linkedTo linked} token. Filled by the source's
     * constructor after this token may already be visible to a cancelling parent, so readers tolerate a missing
     * link (see {@link #link(int)}).
     */
    private @Nullable Object parentLinks;

    /**
     * Registered callbacks and child links, newest first: a doubly-linked list guarded by the lock (the canceller
     * restores registration order).
     */
    private @Nullable Node head;

    /**
     * The per-token spin lock (bit 0: held) and, above it, the number of <em>observers</em>: active callbacks in
     * the list plus child links that hold their child strongly, changed only under the lock. While there are
     * observers, this token is held strongly by its parents (so its callbacks are not lost if nobody else refers
     * to it); with none, only weakly (so an abandoned token can be collected). One word for both keeps a token
     * small.
     */
    @SuppressWarnings("unused")
    private volatile int lockWord;

    /** Sets the reason and detaches the list; returns {@link #MARK_FAILED} if already cancelled. */
    final @Nullable Node markCancelled(CancellationReason cancelReason) {
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

    /** Appends a node; returns {@code false} (without linking) if this token is already cancelled. */
    final boolean link(Node node) {
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
    final void unlink(Node node) {
        acquire();
        try {
            boolean observing = node.callback != null || node.strongChild != null;
            if (observing) { // volatile writes cost a fence each: only when there is something to drop
                node.callback = null;
                node.strongChild = null;
            }
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

    /**
     * Removes this (cancelled or closed) token from its parents' lists: a cancelled token can never be cancelled
     * again, so its parents have no reason to keep it. Links already claimed by a cancelling parent are left
     * to that parent.
     */
    final void detachFromParents() {
        for (int i = 0, count = linkCount(); i < count; i++) {
            Node link = link(i);
            if (link != null) {
                link.unregister();
            }
        }
    }

    /**
     * Whether {@code ancestor} is a parent of this token or an ancestor of one of its parents. Walks the links
     * without locking: they are fixed once the token's source has filled them in.
     */
    final boolean hasAncestor(TokenList ancestor) {
        for (int i = 0, count = linkCount(); i < count; i++) {
            Node link = link(i);
            if (link != null && (link.owner == ancestor || link.owner.hasAncestor(ancestor))) {
                return true;
            }
        }
        return false;
    }

    /** Disarms this token's own deadline, if it has a pending one: a cancelled token needs no timer. */
    abstract void cancelTimer();

    /** The observer to tell of this token's cancellation, or {@code null} for none (or a closed source). */
    abstract @Nullable Consumer<? super CancellationReason> observerOrNull();

    /** Records the link of a token with one parent (see {@link CancellationSource}). */
    final void linkedInParent(Node link) {
        parentLinks = link;
    }

    final int linkCount() {
        Object links = parentLinks;
        return (links == null) ? 0 : (links instanceof Node) ? 1 : ((Node[]) links).length;
    }

    /** The {@code index}th link, or {@code null} if it is not filled in yet. */
    final @Nullable Node link(int index) {
        Object links = parentLinks;
        return (links instanceof Node single) ? single : (links == null) ? null : ((Node[]) links)[index];
    }

    final void holdChild(Node link, TokenList child, boolean strong) {
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

    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(TokenList.class, "lockWord", int.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /**
     * @param parentLinks {@code null}, a {@code Node[]} the source fills in, or set later with
     *     {@link #linkedInParent}
     */
    TokenList(@Nullable Object parentLinks) {
        this.parentLinks = parentLinks;
    }
}
