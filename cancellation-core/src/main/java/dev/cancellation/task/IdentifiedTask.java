package dev.cancellation.task;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * The id of a {@link TaskHandle}: generated the first time anyone asks for it, and from then until the task leaves
 * the live table, the key under which the live table's index finds the task. An id nobody has seen cannot be
 * looked up, so a task that is never observed never pays for one. A base class of the handle, not an object of its
 * own, so that the id costs a task no allocation until it is revealed.
 *
 * <p>Thread-safety: {@link #revealedId()} may be called from any thread at any time, also while the registry
 * {@linkplain #unlist() unlists} the task: two revealers agree on one id through one compare-and-set, and a reveal
 * racing the unlisting never leaves an index entry behind.
 */
abstract sealed class IdentifiedTask permits TaskHandle {

    private static final VarHandle ID;

    static {
        try {
            ID = MethodHandles.lookup().findVarHandle(IdentifiedTask.class, "id", String.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** The handle's way to its registry's parts: the id generator and index among them. */
    final TaskHandle.Events events;
    private volatile @Nullable String id;
    /** Set when the task leaves the live table: an id revealed after that is not indexed. */
    private volatile boolean unlisted;

    IdentifiedTask(TaskHandle.Events events) {
        this.events = events;
    }

    /** The id (see {@link TaskHandle#id()}), generated and indexed on the first call. */
    final String revealedId() {
        String known = id;
        return (known != null) ? known : reveal();
    }

    /**
     * Generates the id and, while the task is live, makes it findable by it. Races: two revealers agree through
     * one CAS (the loser withdraws its index entry); a concurrent {@link #unlist()} and this method each re-check
     * the other's volatile write after their own, so an index entry never outlives the task.
     */
    private String reveal() {
        TaskHandle self = (TaskHandle) this; // the only subclass
        while (true) {
            String candidate = events.newId();
            boolean indexed = !unlisted && events.index(candidate, self);
            if (!indexed && !unlisted) {
                continue; // clashes with another live task's id: practically never; take another
            }
            if (!ID.compareAndSet(this, null, candidate)) {
                if (indexed) {
                    events.unindex(candidate, self);
                }
                return id;
            }
            if (indexed && unlisted) {
                events.unindex(candidate, self);
            }
            return candidate;
        }
    }

    /** Called by the registry when the task leaves the live table. */
    final void unlist() {
        unlisted = true;
        String known = id;
        if (known != null) {
            events.unindex(known, (TaskHandle) this);
        }
    }
}
