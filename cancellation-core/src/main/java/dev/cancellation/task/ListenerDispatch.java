package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The fan-out of task events to a registry's {@link TaskListener}s.
 *
 * <p>Guarantees: an event reaches only the listeners that override its method, so an event nobody handles costs
 * nothing (no snapshot, no lambda); a listener that throws is logged and skipped, and never stops the delivery to
 * the other listeners nor the task's own lifecycle (interrupt, abandon, cleanup). Only a
 * {@link VirtualMachineError} propagates.
 *
 * <p>Thread-safety: every method may be called from any thread. Events run on the thread that raises them (the
 * task's, the cancelling one, the escalation sweeper, a cleanup thread); no lock is held while a listener runs.
 * Adding and removing listeners rebuild an immutable per-event table, published through a volatile field.
 */
final class ListenerDispatch {

    private final List<TaskListener> listeners = new CopyOnWriteArrayList<>();
    private volatile Listeners dispatch = Listeners.NONE;

    void add(TaskListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        refresh();
    }

    void remove(TaskListener listener) {
        listeners.remove(listener);
        refresh();
    }

    /** Rebuilds the per-event arrays from the list; the lock only orders concurrent rebuilds (no blocking). */
    private void refresh() {
        synchronized (listeners) {
            dispatch = Listeners.of(listeners);
        }
    }

    void started(TaskHandle handle) {
        TaskListener[] interested = dispatch.started();
        if (interested.length > 0) {
            TaskInfo info = handle.info();
            deliver(interested, listener -> listener.onStarted(info));
        }
    }

    void cancelRequested(TaskHandle handle, CancellationReason reason) {
        TaskListener[] interested = dispatch.cancelRequested();
        if (interested.length > 0) {
            TaskInfo info = handle.info();
            deliver(interested, listener -> listener.onCancelRequested(info, reason));
        }
    }

    /**
     * @param runNanos from start to exit
     * @param stopLatencyNanos from the cancel request to exit, or negative if the task was not cancelled
     */
    void exited(TaskHandle handle, TaskOutcome outcome, long runNanos, long stopLatencyNanos,
            @Nullable Throwable failure) {
        Listeners current = dispatch;
        TaskListener[] interested = (outcome == TaskOutcome.COMPLETED && stopLatencyNanos < 0)
                ? current.exitedOfCompleted() : current.exited();
        if (interested.length > 0) {
            TaskInfo info = handle.info();
            Duration runTime = Duration.ofNanos(runNanos);
            Duration stopLatency = (stopLatencyNanos < 0) ? null : Duration.ofNanos(stopLatencyNanos);
            deliver(interested, listener -> listener.onExited(info, outcome, runTime, stopLatency, failure));
        }
    }

    void abandoned(TaskInfo info) {
        TaskListener[] interested = dispatch.abandoned();
        if (interested.length > 0) {
            deliver(interested, listener -> listener.onAbandoned(info));
        }
    }

    void cleanupFinished(TaskInfo info, CleanupOutcome outcome, Duration duration, @Nullable Throwable failure) {
        TaskListener[] interested = dispatch.cleanupFinished();
        if (interested.length > 0) {
            deliver(interested, listener -> listener.onCleanupFinished(info, outcome, duration, failure));
        }
    }

    /** Whether some listener handles {@code onStarted}. */
    boolean wantsStarted() {
        return dispatch.started().length > 0;
    }

    /** Whether some listener handles {@code onExited} or {@code onRemoved} of a task that completed normally. */
    boolean wantsCompletions() {
        Listeners current = dispatch;
        return current.exitedOfCompleted().length > 0 || current.removedOfCompleted().length > 0;
    }

    /** Whether some listener handles {@code onRemoved}: if none does, a removal needs no snapshot. */
    boolean wantsRemoved(TaskState state, boolean cancelled) {
        return removedListeners(state, cancelled).length > 0;
    }

    void removed(TaskInfo info) {
        TaskListener[] interested = removedListeners(info.state(), info.reason() != null);
        if (interested.length > 0) {
            deliver(interested, listener -> listener.onRemoved(info));
        }
    }

    private static void deliver(TaskListener[] interested, Consumer<TaskListener> event) {
        for (TaskListener listener : interested) {
            try {
                event.accept(listener);
            } catch (VirtualMachineError fatal) {
                throw fatal;
            } catch (Throwable ex) { // a listener never stops the task's own lifecycle (interrupt, abandon, cleanup)
                TaskLog.LOGGER.log(System.Logger.Level.WARNING, "Task listener " + listener + " failed", ex);
            }
        }
    }

    /** The listeners of {@code onRemoved} for a task that ended in {@code state}, cancelled or not. */
    private TaskListener[] removedListeners(TaskState state, boolean cancelled) {
        Listeners current = dispatch;
        return (state == TaskState.COMPLETED && !cancelled) ? current.removedOfCompleted() : current.removed();
    }

    /** The listeners of each event: only those that override its method. Immutable. */
    private record Listeners(TaskListener[] started, TaskListener[] cancelRequested, TaskListener[] exited,
            TaskListener[] abandoned, TaskListener[] cleanupFinished, TaskListener[] removed,
            TaskListener[] exitedOfCompleted, TaskListener[] removedOfCompleted) {

        static final TaskListener[] EMPTY = new TaskListener[0];
        static final Listeners NONE = new Listeners(EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY);

        /** The last two: the listeners of those events that also want them for normal completions. */
        Listeners(TaskListener[] started, TaskListener[] cancelRequested, TaskListener[] exited,
                TaskListener[] abandoned, TaskListener[] cleanupFinished, TaskListener[] removed) {
            this(started, cancelRequested, exited, abandoned, cleanupFinished, removed, observingCompletions(exited),
                    observingCompletions(removed));
        }

        private static TaskListener[] observingCompletions(TaskListener[] listeners) {
            List<TaskListener> observing = new ArrayList<>(List.of(listeners));
            observing.removeIf(listener -> !listener.observesCompletions());
            return (observing.size() == listeners.length) ? listeners : observing.toArray(EMPTY);
        }

        static Listeners of(List<TaskListener> all) {
            return new Listeners(
                    select(all, "onStarted", TaskInfo.class),
                    select(all, "onCancelRequested", TaskInfo.class, CancellationReason.class),
                    select(all, "onExited", TaskInfo.class, TaskOutcome.class, Duration.class, Duration.class,
                            Throwable.class),
                    select(all, "onAbandoned", TaskInfo.class),
                    select(all, "onCleanupFinished", TaskInfo.class, CleanupOutcome.class, Duration.class,
                            Throwable.class),
                    select(all, "onRemoved", TaskInfo.class));
        }

        private static TaskListener[] select(List<TaskListener> all, String event, Class<?>... parameters) {
            List<TaskListener> selected = new ArrayList<>();
            for (TaskListener listener : all) {
                if (overrides(listener, event, parameters) || ("onExited".equals(event)
                        && overrides(listener, event, TaskInfo.class, TaskOutcome.class, Duration.class,
                                Duration.class))) {
                    selected.add(listener);
                }
            }
            return selected.isEmpty() ? EMPTY : selected.toArray(EMPTY);
        }

        /** Whether the listener's class implements the method itself; when in doubt, it does. */
        private static boolean overrides(TaskListener listener, String name, Class<?>... parameters) {
            try {
                return listener.getClass().getMethod(name, parameters).getDeclaringClass() != TaskListener.class;
            } catch (NoSuchMethodException | SecurityException ex) {
                return true;
            }
        }
    }
}
