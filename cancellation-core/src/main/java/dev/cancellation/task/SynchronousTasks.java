package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The tasks of a registry whose code runs on the calling thread, between {@link TaskRegistry#begin} and
 * {@link TaskRegistry#end}. On a platform thread, while no listener wants {@code onStarted}, such a task is held in
 * the thread's {@link TaskFrames} frame, and a normal completion leaves no trace; otherwise (a virtual thread, a
 * listener of {@code onStarted}) it is {@linkplain TaskRegistry#start started} with a handle and attached.
 *
 * <p>Thread-safety: {@link #begin} and {@link #end} run on the task's own thread; what they share with other
 * threads goes through {@code TaskFrames}, {@code LiveTasks} and {@code TaskAdmission}, which are thread-safe.
 */
final class SynchronousTasks {

    private final TaskAdmission admission;
    private final TaskFrames frames;
    private final LiveTasks live;
    private final ListenerDispatch listeners;

    SynchronousTasks(TaskAdmission admission, TaskFrames frames, LiveTasks live, ListenerDispatch listeners) {
        this.admission = admission;
        this.frames = frames;
        this.live = live;
        this.listeners = listeners;
    }

    /**
     * Begins a task on this thread (see {@link TaskRegistry#begin(TaskSpec, CancellationToken)}).
     *
     * @param bound the token bound on this thread now, as {@code Cancellation.boundTokenOrNull()} returns it
     */
    CancellationToken begin(TaskSpec spec, @Nullable CancellationToken parent, @Nullable CancellationToken bound) {
        Objects.requireNonNull(spec, "spec");
        if (!admission.isOpen()) {
            throw new TaskRejectedException(spec.name());
        }
        CancellationToken parentToken = (parent == null) ? CancellationToken.none() : parent;
        if (listeners.wantsStarted() || !TaskFrames.framesFit(Thread.currentThread())) {
            TaskHandle handle = admission.start(spec, parentToken);
            handle.attach();
            return handle.token();
        }
        CancellationToken token = frames.begin(spec, parentToken, bound);
        if (!admission.isOpen()) { // lost a race with shutdown, which may have walked the frames before it began
            frames.materialize(frames.innermost(token)).cancel(CancellationReason.shutdown("registry"));
        }
        return token;
    }

    /** Ends the task that {@link #begin} began on this thread (see {@link TaskRegistry#end}). */
    @Nullable Throwable end(CancellationToken token, @Nullable Throwable failure) {
        TaskFrames.Frame frame = frames.innermost(token);
        if (frame != null) {
            if (failure == null && !token.isCancelled() && !listeners.wantsCompletions()
                    && frames.endCompleted(frame)) {
                live.wakeRemovalWaiter();
                return null;
            }
            return frames.endMaterialized(frame, failure);
        }
        // begun with a handle (a virtual thread, a listener of onStarted): it is in the table, no frame to walk
        TaskHandle handle = (token == null || frames.holds(token)) ? null : live.listed(token);
        if (handle == null || handle.attachedThread() != Thread.currentThread()) {
            throw new IllegalStateException("No task with " + token + " was begun on this thread ("
                    + Thread.currentThread().getName() + ") and is still running; tasks end innermost first");
        }
        handle.detach();
        return handle.exit(failure);
    }
}
