package dev.cancellation;

import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Detaches the child links ({@link Node}) whose child token was garbage-collected without being closed, so that a
 * long-lived parent does not accumulate them. Work is bounded per call, which keeps registration O(1) amortised.
 *
 * <p>Thread-safety: {@link #expunge()} may be called from any thread, but not while holding a token's lock (it
 * takes other tokens' locks). One caller at a time drains the queue; a concurrent caller unlinks one link and
 * returns.
 */
final class StaleChildren {

    /** Links a call may unlink after its first, when it is the one draining. */
    private static final int BUDGET = 1024;

    private static final AtomicBoolean EXPUNGING = new AtomicBoolean();

    private StaleChildren() {
    }

    static void expunge() {
        Reference<? extends TokenList> stale = Node.STALE.poll();
        if (stale == null) {
            return; // the common case: a single volatile read
        }
        ((Node) stale).unregister();
        if (!EXPUNGING.compareAndSet(false, true)) {
            return;
        }
        try {
            int budget = BUDGET;
            while (budget-- > 0 && (stale = Node.STALE.poll()) != null) {
                ((Node) stale).unregister();
            }
        } finally {
            EXPUNGING.set(false);
        }
    }
}
