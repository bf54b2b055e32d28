package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An entry in a token's list: either a registered callback or a link to a child token.
 *
 * <p>A child link refers to its child weakly, so an abandoned child can be collected; after collection the link
 * is enqueued on {@link #STALE} and unlinked by {@link StaleChildren}. Its state moves
 * once, from {@code ACTIVE} to either {@code FIRED} (the canceller claimed it) or {@code CLOSED} (deregistered),
 * which is what makes each callback run at most once.
 */
final class Node extends WeakReference<TokenList> implements Registration {

    static final ReferenceQueue<TokenList> STALE = new ReferenceQueue<>();
    static final Node[] EMPTY = new Node[0];

    static final int ACTIVE = 0;
    static final int FIRED = 1;
    static final int CLOSED = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Node.class, "state", int.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The token whose list holds this node. */
    final TokenList owner;

    /** The callback, {@code null} for a child link. Cleared after it has run. */
    volatile @Nullable Consumer<?> callback;

    /**
     * Strong reference to the child while it has observers that must not be lost. Written under the owner's
     * lock (and by the canceller once the owner is cancelled).
     */
    volatile @Nullable TokenList strongChild;

    volatile int state;

    @Nullable Node prev;
    @Nullable Node next;

    Node(TokenList owner, @Nullable Consumer<?> callback, @Nullable TokenList child) {
        super(child, (child == null) ? null : STALE);
        this.owner = owner;
        if (callback != null) { // a child link leaves it null: no volatile write (and its fence) for nothing
            this.callback = callback;
        }
    }

    /** A node that is only compared with, never linked: the one node without an owner, which nothing reads. */
    static Node marker() {
        return new Node();
    }

    private Node() {
        super(null);
        this.owner = null; // never linked, so never unlinked: no code path reaches it
    }

    @Nullable TokenList child() {
        TokenList strong = strongChild;
        return (strong != null) ? strong : get();
    }

    /** Marks a node that was never linked (its owner was already cancelled) as done. */
    void retire() {
        state = CLOSED;
    }

    /** Claims the node for the canceller; {@code false} if it was deregistered first. */
    boolean fire() {
        return STATE.compareAndSet(this, ACTIVE, FIRED);
    }

    @Override
    public boolean unregister() {
        if (!STATE.compareAndSet(this, ACTIVE, CLOSED)) {
            return false;
        }
        owner.unlink(this);
        return true;
    }
}
