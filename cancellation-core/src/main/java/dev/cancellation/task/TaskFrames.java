package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The tasks of a registry that run synchronously on a platform thread ({@link TaskRegistry#begin} /
 * {@link TaskRegistry#end}), kept in a per-thread stack of reusable frames and turned into {@link TaskHandle}s
 * only when somebody looks at them.
 *
 * <p>Beginning a task fills the thread's next frame (its spec, its new token, the clock) and publishes it with one
 * volatile write; ending one that completed normally empties the frame again: no handle, no live-table entry, no
 * shared write. The first time such a task is observed, it is <em>materialized</em>: a {@code TaskHandle} is built
 * from the frame, at the frame's start time, and entered into the live table, and from then on it is a task like
 * any other (listed, found by id, cancelled, escalated, cleaned up, kept in the history). What observes it:
 * listings and lookups of the registry (which walk every thread's frames first), its token's cancellation (the
 * frame is the token's {@linkplain CancellationSource#childOf(CancellationToken, java.time.Duration, long, Consumer)
 * observer}), a shutdown, and an end that is not a normal completion (a failure or a cancellation, which the
 * history and the listeners must see).
 *
 * <p>Thread-safety: a frame's fields are written only by its owner thread, while the frame is free, and published
 * by the volatile write of its state, which packs a generation count with the phase (free, running, being
 * materialized, materialized). Observers on other threads read the state, then the fields, then claim the frame
 * with a compare-and-set on the state they read: a frame that has moved on to another task in the meantime fails
 * the CAS (a seqlock), so a handle is only ever built from one task's fields, and at most once. The owner's normal
 * end is the same CAS from running to free, so exactly one of them wins. Threads register their stack once, held
 * weakly, so dead threads cost nothing after the next collection.
 */
final class TaskFrames {

    private static final long FREE = 0;
    private static final long RUNNING = 1;
    private static final long MATERIALIZING = 2;
    private static final long MATERIALIZED = 3;
    private static final long PHASE = 3;
    private static final long NEXT_GENERATION = 4;

    private static final VarHandle STATE;
    private static final @Nullable MethodHandle IS_VIRTUAL = isVirtualHandle(); // null before Java 21

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Frame.class, "state", long.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final TaskHandle.Events events;
    private final LiveTasks live;
    private final ConcurrentLinkedQueue<WeakReference<ThreadFrames>> threads = new ConcurrentLinkedQueue<>();
    /** Set on a thread's first {@link #begin}: a thread that never begins a task here gets no frames. */
    private final ThreadLocal<@Nullable ThreadFrames> perThread = new ThreadLocal<>();

    TaskFrames(TaskHandle.Events events, LiveTasks live) {
        this.events = events;
        this.live = live;
    }

    /** Whether tasks of this thread may be kept in frames: platform threads only (a virtual thread is one-off). */
    static boolean framesFit(Thread thread) {
        if (IS_VIRTUAL == null) {
            return true;
        }
        try {
            return !(boolean) IS_VIRTUAL.invokeExact(thread);
        } catch (Throwable impossible) {
            return false;
        }
    }

    private ThreadFrames mine() {
        ThreadFrames frames = perThread.get();
        if (frames == null) {
            frames = new ThreadFrames(Thread.currentThread());
            perThread.set(frames);
            threads.add(new WeakReference<>(frames));
        }
        return frames;
    }

    // ------------------------------------------------------------------------------------------ owner thread

    /**
     * Begins a task on this thread in its next frame; binds the token as current.
     *
     * @param previous the token bound on this thread now, as {@link Cancellation#boundTokenOrNull()} returns it
     */
    CancellationToken begin(TaskSpec spec, CancellationToken parent, @Nullable CancellationToken previous) {
        Frame frame = mine().push();
        long free = frame.state;
        frame.spec = spec;
        frame.parent = parent;
        long startNanos = System.nanoTime();
        frame.startNanos = startNanos;
        frame.previous = previous;
        CancellationSource source = CancellationSource.childOf(parent, spec.timeout(), startNanos, frame);
        frame.source = source;
        // A volatile write, not a release: with the token's cancellation (reason written, then this state read by
        // the observer) it forms a Dekker pair, so at least one side sees the other and the task is never missed.
        frame.state = free + RUNNING; // publishes the fields
        CancellationToken token = source.token();
        Cancellation.restore(token);
        if (token.isCancelled()) {
            materialize(frame); // cancelled before it was published: react now, as a started handle would
        }
        return token;
    }

    /** The frame of {@code token} if it is this thread's innermost, else {@code null}. */
    @Nullable Frame innermost(CancellationToken token) {
        ThreadFrames mine = perThread.get();
        Frame top = (mine == null) ? null : mine.top();
        return (top != null && top.source.token() == token) ? top : null;
    }

    /** Whether one of this thread's frames holds the task of {@code token}. */
    boolean holds(CancellationToken token) {
        ThreadFrames mine = perThread.get();
        if (mine == null) {
            return false;
        }
        Frame[] frames = mine.frames;
        for (int i = 0; i < mine.depth; i++) {
            if (frames[i].source.token() == token) {
                return true;
            }
        }
        return false;
    }

    /**
     * Ends the task of {@code frame} (this thread's innermost) that completed normally, if it is still only a
     * frame; {@code false} if it was materialized meanwhile (then {@link #endMaterialized} must end it).
     */
    boolean endCompleted(Frame frame) {
        long running = frame.state;
        if ((running & PHASE) != RUNNING || !STATE.compareAndSet(frame, running, running - RUNNING + NEXT_GENERATION)) {
            return false;
        }
        CancellationSource source = frame.source;
        release(frame);
        source.close();
        return true;
    }

    /** Ends the task of {@code frame} (this thread's innermost) through its handle, materializing it if needed. */
    @Nullable Throwable endMaterialized(Frame frame, @Nullable Throwable failure) {
        TaskHandle handle = materialize(frame);
        handle.detach();
        frame.state = (frame.state & ~PHASE) + NEXT_GENERATION;
        release(frame);
        return handle.exit(failure);
    }

    private void release(Frame frame) {
        Cancellation.restore(frame.previous);
        frame.spec = null;
        frame.parent = null;
        frame.source = null;
        frame.previous = null;
        if (frame.handle != null) { // a volatile write costs a fence: only when there is a handle to drop
            frame.handle = null;
        }
        frame.threadFrames.pop();
    }

    // ------------------------------------------------------------------------------------------ observers

    /**
     * The handle of the frame's task, built now if it has none yet; {@code null} if the frame holds no task.
     * Waits (briefly) while another thread builds it.
     */
    @Nullable TaskHandle materialize(Frame frame) {
        int spins = 0;
        while (true) {
            long seen = frame.state;
            long phase = seen & PHASE;
            if (phase == FREE) {
                return null;
            }
            if (phase == MATERIALIZED) {
                return frame.handle;
            }
            if (phase == MATERIALIZING) {
                if (++spins > 100) {
                    Thread.yield(); // the builder may have been preempted
                } else {
                    Thread.onSpinWait();
                }
                continue;
            }
            TaskSpec spec = frame.spec;
            CancellationToken parent = frame.parent;
            CancellationSource source = frame.source;
            long startNanos = frame.startNanos;
            if (!STATE.compareAndSet(frame, seen, seen - RUNNING + MATERIALIZING)) {
                continue; // ended, or moved on to another task, while we read it
            }
            TaskHandle parentTask = parent.isNone() ? null : live.get(parent);
            TaskHandle handle = new TaskHandle(events, spec, parentTask, source, startNanos,
                    frame.threadFrames.owner);
            live.add(handle);
            frame.handle = handle;
            frame.state = seen - RUNNING + MATERIALIZED;
            handle.activate();
            return handle;
        }
    }

    /** Materializes every task held in a frame, so that the live table lists them all. */
    void materializeAll() {
        for (Frame frame : allFrames()) {
            if ((frame.state & PHASE) == RUNNING) {
                materialize(frame);
            }
        }
    }

    /** The handle of the task whose token is {@code token}, if a frame holds it (materialized now). */
    @Nullable TaskHandle find(CancellationToken token) {
        for (Frame frame : allFrames()) {
            CancellationSource source = frame.source;
            if ((frame.state & PHASE) != FREE && source != null && source.token() == token) {
                TaskHandle handle = materialize(frame);
                if (handle != null && handle.token() == token) {
                    return handle;
                }
            }
        }
        return null;
    }

    /** How many tasks are held in frames and not (yet) in the live table; may count one being entered twice. */
    int running() {
        int count = 0;
        for (Frame frame : allFrames()) {
            long phase = frame.state & PHASE;
            if (phase == RUNNING || phase == MATERIALIZING) {
                count++;
            }
        }
        return count;
    }

    /** Every frame of every live thread that has begun a task here; forgets the threads that died. */
    private List<Frame> allFrames() {
        List<Frame> all = new ArrayList<>();
        for (Iterator<WeakReference<ThreadFrames>> it = threads.iterator(); it.hasNext(); ) {
            ThreadFrames frames = it.next().get();
            if (frames == null) {
                it.remove();
                continue;
            }
            for (Frame frame : frames.frames) {
                if (frame != null) {
                    all.add(frame);
                }
            }
        }
        return all;
    }

    private static @Nullable MethodHandle isVirtualHandle() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException beforeJava21) {
            return null;
        }
    }

    // ------------------------------------------------------------------------------------------ the frames

    /** One platform thread's stack of frames; {@link #push}/{@link #pop} on the owner thread only. */
    private final class ThreadFrames {

        final Thread owner;
        /** Read by observers; replaced (grown) by the owner. */
        volatile @Nullable Frame[] frames = new Frame[4];
        private int depth;

        ThreadFrames(Thread owner) {
            this.owner = owner;
        }

        Frame push() {
            Frame[] current = frames;
            if (depth == current.length) {
                Frame[] grown = new Frame[current.length * 2];
                System.arraycopy(current, 0, grown, 0, current.length);
                frames = grown;
                current = grown;
            }
            Frame frame = current[depth];
            if (frame == null) {
                frame = new Frame(this);
                current[depth] = frame;
            }
            depth++;
            return frame;
        }

        @Nullable Frame top() {
            return (depth == 0) ? null : frames[depth - 1];
        }

        void pop() {
            depth--;
        }
    }

    /**
     * A reusable slot for one task at a time. It observes its tokens: told of a cancellation, it materializes the
     * task if that token is still its task's (an older task's token may still report, see {@link #accept}).
     */
    final class Frame implements Consumer<CancellationReason> {

        final ThreadFrames threadFrames;
        volatile long state;
        // the task's, while it holds one (cleared when it ends)
        @Nullable TaskSpec spec;
        @Nullable CancellationToken parent;
        @Nullable CancellationSource source;
        @Nullable CancellationToken previous;
        long startNanos;
        volatile @Nullable TaskHandle handle;

        Frame(ThreadFrames threadFrames) {
            this.threadFrames = threadFrames;
        }

        @Override
        public void accept(CancellationReason reason) {
            if ((state & PHASE) != RUNNING) {
                return;
            }
            CancellationSource current = source;
            if (current != null && current.isCancelled()) { // not a late word from a task this frame held before
                materialize(this);
            }
        }
    }
}
