package dev.cancellation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Cancelling a token and its subtree: first every live descendant is marked cancelled with the same reason (so
 * callbacks see a consistent tree), then the callbacks run, outside any lock, in registration order per token and
 * a token's before its descendants'. A callback that throws does not stop the others; the failures are reported
 * once per cancellation to the callback failure handler.
 *
 * <p>Thread-safety: any thread may cancel; a token marked by another canceller first keeps that one's reason and
 * is left to it, with its subtree. Stateless.
 */
final class SubtreeCancellation {

    private SubtreeCancellation() {
    }

    /**
     * Cancels {@code root} and its live descendants with {@code cancelReason}, then runs their callbacks: on this
     * thread, or with {@code dispatchCallbacks} on {@link CallbackDispatcher}'s threads (the timer thread's way).
     * Marking is done here either way, so the whole subtree reads as cancelled before this method returns.
     *
     * @return {@code true} if this call cancelled {@code root}, {@code false} if it already was
     */
    static boolean cancel(TokenList root, CancellationReason cancelReason, boolean dispatchCallbacks) {
        Node detached = root.markCancelled(cancelReason);
        if (detached == TokenList.MARK_FAILED) {
            return false;
        }
        root.cancelTimer();
        root.detachFromParents();
        // Phase 1: mark the whole subtree cancelled, so callbacks see a consistent tree. The queue holds, per
        // token, its observer (a Consumer, if any) and then its detached list (a Node): a token's callbacks are
        // collected before those of its descendants.
        List<Consumer<? super CancellationReason>> callbacks = new ArrayList<>();
        ArrayDeque<Object> pending = new ArrayDeque<>();
        enqueue(pending, root.observerOrNull(), detached);
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
                    TokenList child = node.child();
                    node.strongChild = null;
                    if (child != null) {
                        Node grandchildren = child.markCancelled(cancelReason);
                        if (grandchildren != TokenList.MARK_FAILED) {
                            child.cancelTimer();
                            child.detachFromParents(); // from its other parents, if it is a linked token
                            enqueue(pending, child.observerOrNull(), grandchildren);
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

    private static void enqueue(ArrayDeque<Object> pending,
            @Nullable Consumer<? super CancellationReason> tokenObserver, @Nullable Node list) {
        if (tokenObserver != null) {
            pending.add(tokenObserver);
        }
        if (list != null) {
            pending.add(list);
        }
    }

    static void runCallbacks(List<Consumer<? super CancellationReason>> callbacks,
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
            CallbackFailures.report(cancelReason, failures);
        }
    }
}
