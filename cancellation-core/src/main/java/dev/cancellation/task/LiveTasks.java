package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A registry's table of live tasks, their id index and the bounded history of finished ones.
 *
 * <p>Guarantees: a task is in the table from {@link #add} until {@link #remove} (at most once per task); a task
 * is findable by id from the moment its id is revealed until it is in the history, so a lookup by id finds it
 * throughout; the history keeps the last cancelled, failed and abandoned tasks, never completed ones. Listings
 * are weakly consistent snapshots, oldest first, with instants derived from one pair of clock readings.
 *
 * <p>Cost: adding and removing a task that completes normally is one insert and one removal in a
 * {@link ConcurrentHashMap} keyed by token (so a new task finds its parent task with one lookup); no snapshot is
 * taken unless the task goes to the history or a listener wants its removal.
 *
 * <p>Thread-safety: every method may be called from any thread; no lock is held. The history is a lock-free
 * ring ({@link TaskHistory}), ids come from a lock-free generator ({@link TaskIds}).
 */
final class LiveTasks {

    private final ConcurrentHashMap<CancellationToken, TaskHandle> byToken = new ConcurrentHashMap<>();
    /** The live tasks whose id has been revealed, by id (see {@link TaskHandle#id()}). */
    private final ConcurrentHashMap<String, TaskHandle> byId = new ConcurrentHashMap<>();
    private final TaskHistory history;
    private final TaskIds ids = new TaskIds();
    private final AtomicInteger abandoned = new AtomicInteger();
    private final ListenerDispatch listeners;
    /** A thread parked until the table shrinks (the shutdown), {@code null} for none. */
    private volatile @Nullable Thread removalWaiter;
    /** The tasks held in per-thread frames, not (yet) in the table: materialized before every listing. */
    private TaskFrames frames;

    LiveTasks(int historySize, ListenerDispatch listeners) {
        this.history = new TaskHistory(historySize);
        this.listeners = listeners;
    }

    /** Sets the frames whose tasks count as live; once, before the registry is used. */
    void track(TaskFrames taskFrames) {
        this.frames = taskFrames;
    }

    /** The task in the table whose token is {@code token}, if any: tasks held in frames are not seen. */
    @Nullable TaskHandle listed(CancellationToken token) {
        return byToken.get(token);
    }

    /** The live task whose token is {@code token} (materialized if a frame holds it), if any. */
    @Nullable TaskHandle get(CancellationToken token) {
        TaskHandle handle = byToken.get(token);
        return (handle != null) ? handle : frames.find(token);
    }

    void add(TaskHandle handle) {
        byToken.put(handle.token(), handle); // a new token: no clash possible
    }

    /** Generates a new id (see {@link TaskHandle#id()}). */
    String newId() {
        return ids.next();
    }

    /** Makes a live task findable by its id; {@code false} if another live task has that id. */
    boolean index(String id, TaskHandle handle) {
        TaskHandle existing = byId.putIfAbsent(id, handle);
        return existing == null || existing == handle;
    }

    void unindex(String id, TaskHandle handle) {
        byId.remove(id, handle);
    }

    /** A live task was abandoned: it is no longer waited for, though it stays listed until its thread exits. */
    void countAbandoned() {
        abandoned.incrementAndGet();
    }

    /**
     * Takes a finished task out of the table (once; later calls do nothing), adds it to the history unless it
     * completed, fires {@code onRemoved} and wakes the {@linkplain #wakeOnRemoval removal waiter}.
     */
    void remove(TaskHandle handle) {
        if (!byToken.remove(handle.token(), handle)) {
            return;
        }
        TaskState state = handle.state();
        if (state == TaskState.ABANDONED) {
            abandoned.decrementAndGet();
        }
        TaskInfo info = null;
        // the common case allocates no snapshot
        if (state != TaskState.COMPLETED || listeners.wantsRemoved(state, handle.token().isCancelled())) {
            info = handle.info();
            if (state != TaskState.COMPLETED) {
                history.add(info);
            }
        }
        // Unindexed only once in the history: a lookup by id finds the task throughout.
        handle.unlist();
        if (info != null) {
            listeners.removed(info);
        }
        wakeRemovalWaiter();
    }

    /**
     * Wakes the {@linkplain #wakeOnRemoval removal waiter}, if any, once a task left (from the table or a frame)
     * and the table holds no task it waits for: only then can {@link #noneWaitedFor()} have become true. (A
     * shutdown of thousands of tasks would otherwise be woken once per task, with every waking thread paying for
     * the unpark.)
     */
    void wakeRemovalWaiter() {
        Thread waiter = removalWaiter;
        if (waiter != null && tableHoldsNoneWaitedFor()) {
            LockSupport.unpark(waiter);
        }
    }

    /** Sets the thread to unpark when the last waited-for task leaves the table ({@code null} for none). */
    void wakeOnRemoval(@Nullable Thread waiter) {
        removalWaiter = waiter;
    }

    /** Cancels the live tasks named {@code name} (interrupting their threads at once if asked); their snapshots. */
    List<TaskInfo> cancelNamed(String name, CancellationReason reason, boolean interrupt) {
        List<TaskInfo> result = new ArrayList<>();
        for (TaskHandle handle : handles()) {
            if (name.equals(handle.name())) {
                handle.cancel(reason);
                if (interrupt) {
                    handle.interruptNow();
                }
                result.add(handle.info());
            }
        }
        return result;
    }

    /** Cancels every live task; returns how many this call cancelled. */
    int cancelEvery(CancellationReason reason) {
        int count = 0;
        for (TaskHandle handle : handles()) {
            if (handle.cancel(reason)) {
                count++;
            }
        }
        return count;
    }

    /** Whether every live task is abandoned (so none is waited for). */
    boolean noneWaitedFor() {
        // the table first: while it holds a task waited for, there is no need to walk every thread's frames
        return tableHoldsNoneWaitedFor() && size() <= abandoned.get();
    }

    /** Whether every task in the table (frames aside) is abandoned. */
    private boolean tableHoldsNoneWaitedFor() {
        return byToken.size() <= abandoned.get();
    }

    /** The live handles, those held in frames materialized first: a weakly consistent view. */
    Collection<TaskHandle> handles() {
        frames.materializeAll();
        return byToken.values();
    }

    /** The live tasks, counted without materializing any (a task being materialized may count twice). */
    int size() {
        return byToken.size() + frames.running();
    }

    int abandonedCount() {
        int count = 0;
        for (TaskHandle handle : byToken.values()) {
            if (handle.state() == TaskState.ABANDONED) {
                count++;
            }
        }
        return count;
    }

    /** The live task with this id, if any: only a revealed id can be known, and those are indexed. */
    @Nullable TaskHandle byId(@Nullable String id) {
        return (id == null) ? null : byId.get(id);
    }

    List<TaskInfo> list(@Nullable String name, @Nullable TaskState state) {
        List<TaskHandle> matching = new ArrayList<>();
        for (TaskHandle handle : handles()) {
            if (name == null || name.equals(handle.name())) {
                matching.add(handle);
            }
        }
        List<TaskInfo> result = snapshots(matching);
        if (state != null) {
            result.removeIf(info -> info.state() != state);
        }
        return result;
    }

    /** The live direct children of the task {@code id} (live or finished), oldest first. */
    List<TaskInfo> children(String id) {
        TaskHandle parent = byId(id);
        List<TaskHandle> matching = new ArrayList<>();
        for (TaskHandle handle : handles()) {
            TaskHandle itsParent = handle.parent();
            // a live parent is compared by identity, which reveals no other ids; a finished one by its id
            if (itsParent != null && (parent != null ? itsParent == parent : id.equals(itsParent.id()))) {
                matching.add(handle);
            }
        }
        return snapshots(matching);
    }

    /** The history, newest first. */
    List<TaskInfo> history() {
        return history.newestFirst();
    }

    /** Snapshots oldest first, their instants derived from one pair of clock readings. */
    private static List<TaskInfo> snapshots(List<TaskHandle> handles) {
        handles.sort(Comparator.comparingLong(TaskHandle::startNanos).thenComparing(TaskHandle::id));
        Instant wallNow = Instant.now();
        long nanoNow = System.nanoTime();
        List<TaskInfo> result = new ArrayList<>(handles.size());
        for (TaskHandle handle : handles) {
            result.add(handle.info(wallNow, nanoNow));
        }
        return result;
    }
}
