package dev.cancellation.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal .NET-style {@code CancellationTokenSource} with {@code CreateLinkedTokenSource}, written only as a
 * baseline: a child registers a callback node on its parent eagerly, under the parent's monitor; closing (disposing)
 * the child unlinks the node in O(1); cancelling is a CAS on the state, then the detached list fires outside the
 * monitor. No deadlines, no weak links, no reasons: the least a correct linked source must do.
 *
 * <p>Thread-safety: every method may be called from any thread.
 */
final class LinkedSourceBaseline implements AutoCloseable {

    private static final int LIVE = 0;
    private static final int CANCELLED = 1;

    private final AtomicInteger state = new AtomicInteger(LIVE);
    private final LinkedSourceBaseline parent;
    private final Registration parentRegistration;
    private Registration head;

    LinkedSourceBaseline() {
        this.parent = null;
        this.parentRegistration = null;
    }

    private LinkedSourceBaseline(LinkedSourceBaseline parent) {
        this.parent = parent;
        this.parentRegistration = parent.register(this);
    }

    static LinkedSourceBaseline linkedTo(LinkedSourceBaseline parent) {
        return new LinkedSourceBaseline(parent);
    }

    boolean isCancelled() {
        return state.get() == CANCELLED;
    }

    boolean cancel() {
        if (!state.compareAndSet(LIVE, CANCELLED)) {
            return false;
        }
        List<LinkedSourceBaseline> children = new ArrayList<>();
        synchronized (this) {
            for (Registration r = head; r != null; r = r.next) {
                children.add(r.child);
            }
            head = null;
        }
        for (LinkedSourceBaseline child : children) {
            child.cancel();
        }
        return true;
    }

    @Override
    public void close() {
        if (parentRegistration != null) {
            parent.unregister(parentRegistration);
        }
    }

    private Registration register(LinkedSourceBaseline child) {
        Registration registration = new Registration(child);
        synchronized (this) {
            if (state.get() != CANCELLED) {
                registration.next = head;
                if (head != null) {
                    head.prev = registration;
                }
                head = registration;
                return registration;
            }
        }
        child.cancel();
        return registration;
    }

    private void unregister(Registration registration) {
        synchronized (this) {
            if (registration.removed) {
                return;
            }
            registration.removed = true;
            if (registration.prev != null) {
                registration.prev.next = registration.next;
            } else if (head == registration) {
                head = registration.next;
            }
            if (registration.next != null) {
                registration.next.prev = registration.prev;
            }
            registration.prev = null;
            registration.next = null;
        }
    }

    private static final class Registration {
        final LinkedSourceBaseline child;
        Registration prev;
        Registration next;
        boolean removed;

        Registration(LinkedSourceBaseline child) {
            this.child = child;
        }
    }
}
