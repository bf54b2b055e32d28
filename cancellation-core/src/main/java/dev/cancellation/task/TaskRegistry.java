package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Knows every running task: those started by {@code @Cancellable} methods and those run programmatically with
 * {@link #run(String, Duration, Function)}. Operators list and cancel them; shutdown cancels and waits for them.
 *
 * <p>Framework-free: Spring only creates and wires it. A task enters the live table when it starts and leaves it
 * as soon as it is finished (exited and cleaned up), in O(1); the last {@code historySize} cancelled, failed and
 * abandoned tasks are kept in a bounded history for operators. Cleanups ({@link CleanupAction}) run on a bounded
 * executor owned by the registry, each shielded with its own token and bound by the cleanup timeout.
 *
 * <p>The registry is a facade over parts with one job each: the admission and start of tasks with a handle
 * ({@code TaskAdmission}), the live table with its id index and history ({@code LiveTasks}), the tasks run on the
 * calling thread ({@code SynchronousTasks}, over the per-thread {@code TaskFrames}), the fan-out of events to
 * {@link TaskListener}s ({@code ListenerDispatch}), the cleanup executor ({@code CleanupRunner}), the escalation
 * sweeper ({@code Escalations}) and the shutdown ({@code RegistryShutdown}). The parts never call the registry:
 * it wires them, once, in its constructor.
 *
 * <p>Thread-safety: every method may be called from any thread; no lock is held while user code or listeners
 * run. Shutdown runs at most once; a concurrent second call waits (bounded) for the first to finish.
 *
 * <p>Cost of a task: a task {@linkplain #start started} with a handle pays one live-table insert and removal,
 * its token and its cancel hook; a task {@linkplain #begin begun} on a platform thread pays its token and a
 * per-thread frame until somebody observes it. Ids are generated (and indexed for {@link #find}) the first time a
 * task is observed (its id or a snapshot is asked for, by a listener, a listing or the caller), never for tasks
 * nobody looks at; snapshots for listeners are built once per event and only for events some listener actually
 * overrides; wall-clock instants are derived from {@link System#nanoTime()} when a snapshot is taken.
 */
public final class TaskRegistry implements AutoCloseable {

    /**
     * Registry-wide settings.
     *
     * @param historySize how many finished cancelled/failed/abandoned tasks to keep for operators (0 for none)
     * @param cleanupThreads the cleanup executor's threads
     * @param cleanupQueueCapacity how many cleanups may wait for a thread; beyond that a cleanup fails at once
     * @param cleanupTimeout the bound of each cleanup
     */
    public record Settings(int historySize, int cleanupThreads, int cleanupQueueCapacity, Duration cleanupTimeout) {

        /** Validates the settings. */
        public Settings {
            if (historySize < 0) {
                throw new IllegalArgumentException("historySize must not be negative: " + historySize);
            }
            if (cleanupThreads < 1) {
                throw new IllegalArgumentException("cleanupThreads must be at least 1: " + cleanupThreads);
            }
            if (cleanupQueueCapacity < 1) {
                throw new IllegalArgumentException("cleanupQueueCapacity must be at least 1: " + cleanupQueueCapacity);
            }
            Objects.requireNonNull(cleanupTimeout, "cleanupTimeout");
            if (cleanupTimeout.isNegative() || cleanupTimeout.isZero()) {
                throw new IllegalArgumentException("cleanupTimeout must be positive: " + cleanupTimeout);
            }
        }

        /** History 100, 2 cleanup threads, 1000 queued cleanups, 10s per cleanup. */
        public static Settings defaults() {
            return new Settings(100, 2, 1000, Duration.ofSeconds(10));
        }
    }

    private final Settings settings;
    private final ListenerDispatch listeners = new ListenerDispatch();
    private final LiveTasks live;
    private final CleanupRunner cleanups;
    private final Escalations escalations = new Escalations("cancellation-escalation");
    private final RegistryShutdown shutdown;
    private final SynchronousTasks synchronous;
    private final TaskAdmission admission;

    /** A registry with {@link Settings#defaults()}. */
    public TaskRegistry() {
        this(Settings.defaults());
    }

    /** A registry with the given settings. */
    public TaskRegistry(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.live = new LiveTasks(settings.historySize(), listeners);
        this.cleanups = new CleanupRunner(settings.cleanupThreads(), settings.cleanupQueueCapacity(),
                settings.cleanupTimeout(), listeners, this::isAdmitting);
        // what a task's handle reports to, and asks of, the parts
        TaskEvents events = new TaskEvents(live, listeners, escalations, cleanups);
        this.admission = new TaskAdmission(events, live, listeners);
        TaskFrames frames = new TaskFrames(events, live);
        live.track(frames);
        this.synchronous = new SynchronousTasks(admission, frames, live, listeners);
        this.shutdown = new RegistryShutdown(live, cleanups, escalations);
    }

    /** The settings this registry was created with. */
    public Settings settings() {
        return settings;
    }

    /** Adds a listener of task events. */
    public void addListener(TaskListener listener) {
        listeners.add(listener);
    }

    /** Removes a listener. */
    public void removeListener(TaskListener listener) {
        listeners.remove(listener);
    }

    // ------------------------------------------------------------------------------------------ starting

    /**
     * Registers a task and creates its token (a child of {@code spec.parent()}). The caller runs the code with
     * {@link TaskHandle#attach()} and must call {@link TaskHandle#exit(Throwable)} when it is done.
     *
     * @throws TaskRejectedException if the registry is shutting down
     */
    public TaskHandle start(TaskSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return start(spec, spec.parent());
    }

    /**
     * Like {@link #start(TaskSpec)} with {@code parent} in place of {@code spec.parent()}: lets a caller that
     * starts many tasks of the same kind keep one spec (with no cleanup, or a cleanup that needs no per-call
     * state) instead of creating one per task.
     *
     * @param parent the token the task's token is a child of ({@link CancellationToken#none()} or {@code null}
     *     for a root)
     * @throws TaskRejectedException if the registry is shutting down
     */
    public TaskHandle start(TaskSpec spec, @Nullable CancellationToken parent) {
        Objects.requireNonNull(spec, "spec");
        return admission.start(spec, parent);
    }

    /**
     * Runs {@code work} on this thread as a registered task named {@code name}, a child of the current token,
     * with an optional timeout, its token bound as current. Interrupts are not used: the work must cooperate.
     *
     * @return the work's result (even if it was cancelled but returned normally)
     * @throws dev.cancellation.TaskCancelledException if the work stopped because it was cancelled
     *     ({@link dev.cancellation.TaskTimeoutException} for the timeout)
     * @throws TaskRejectedException if the registry is shutting down
     */
    public <T extends @Nullable Object> T run(String name, @Nullable Duration timeout,
            Function<? super CancellationToken, ? extends T> work) {
        Objects.requireNonNull(work, "work");
        // No interrupt and no self-abandonment: the caller's thread is the one waiting for the work anyway.
        TaskSpec spec = new TaskSpec(name, CancellationToken.current(), timeout, null, null, null);
        try {
            return call(spec, work::apply);
        } catch (RuntimeException | Error unchecked) {
            throw unchecked;
        } catch (Throwable impossible) { // a Function throws nothing checked
            throw new IllegalStateException(impossible);
        }
    }

    /** The body of a task run by {@link #call}. */
    @FunctionalInterface
    public interface TaskBody<T extends @Nullable Object> {
        /** Runs the task's code with its token. */
        T run(CancellationToken token) throws Throwable;
    }

    /**
     * Runs {@code body} on this thread as a task described by {@code spec}: registers it, attaches this thread,
     * runs it, and applies {@link TaskHandle#exit(Throwable)}: returns the result, or throws the failure or the
     * {@code TaskCancelledException} it was translated to.
     */
    public <T extends @Nullable Object> T call(TaskSpec spec, TaskBody<T> body) throws Throwable {
        CancellationToken token = begin(spec, spec.parent());
        T result = null;
        Throwable failure = null;
        try {
            result = body.run(token);
        } catch (Throwable ex) {
            failure = ex;
        }
        Throwable toThrow = end(token, failure);
        if (toThrow != null) {
            throw toThrow;
        }
        return result;
    }

    /**
     * Begins a task whose code runs on this thread, synchronously, until {@link #end} is called on this thread
     * with the returned token (what {@link #call} does): registers it, creates its token (a child of
     * {@code parent}, {@code null} for a root) and binds the token as current. It is a registered task like one
     * from {@link #start}, listed, cancellable and escalated; but on a platform thread it costs less, because it
     * is held in a per-thread frame and gets its {@link TaskHandle} only once somebody observes it (a listing or
     * lookup, its cancellation, a shutdown, a listener of {@code onStarted}, or an end other than a normal
     * completion). Tasks begun on one thread end innermost first.
     *
     * @throws TaskRejectedException if the registry is shutting down
     */
    public CancellationToken begin(TaskSpec spec, @Nullable CancellationToken parent) {
        return synchronous.begin(spec, parent, Cancellation.boundTokenOrNull());
    }

    /** Like {@link #begin(TaskSpec, CancellationToken)} with the current token as the parent. */
    public CancellationToken begin(TaskSpec spec) {
        CancellationToken bound = Cancellation.boundTokenOrNull();
        return synchronous.begin(spec, bound, bound);
    }

    /**
     * Ends the task that {@link #begin} began on this thread with {@code token}: restores the token that was
     * current before, and returns what the caller should throw, like {@link TaskHandle#exit(Throwable)}
     * ({@code null} to return normally, {@code failure}, or a {@code TaskCancelledException} when the code stopped
     * because of the cancellation).
     *
     * @param failure what the task's code threw, {@code null} if it returned normally
     * @throws IllegalStateException if no task begun on this thread with this token is running
     */
    public @Nullable Throwable end(CancellationToken token, @Nullable Throwable failure) {
        return synchronous.end(token, failure);
    }

    // ------------------------------------------------------------------------------------------ queries

    /** Snapshots of the live tasks, oldest first. */
    public List<TaskInfo> list() {
        return live.list(null, null);
    }

    /** Snapshots of the live tasks with the given name and/or state ({@code null} for any), oldest first. */
    public List<TaskInfo> list(@Nullable String name, @Nullable TaskState state) {
        return live.list(name, state);
    }

    /** The number of live tasks. */
    public int size() {
        return live.size();
    }

    /** The number of live tasks that are abandoned (their thread still runs their code). */
    public int abandonedCount() {
        return live.abandonedCount();
    }

    /** A live task by id. */
    public Optional<TaskInfo> find(@Nullable String id) {
        return Optional.ofNullable(live.byId(id)).map(TaskHandle::info);
    }

    /** A live task, or else a task from the history, by id. */
    public Optional<TaskInfo> findIncludingHistory(@Nullable String id) {
        Optional<TaskInfo> found = find(id);
        if (found.isPresent() || id == null) {
            return found;
        }
        return history().stream().filter(info -> info.id().equals(id)).findFirst();
    }

    /** The live tasks started from the task {@code id} (its direct children), oldest first. */
    public List<TaskInfo> children(@Nullable String id) {
        return (id == null) ? new ArrayList<>() : live.children(id);
    }

    /** The recently finished cancelled, failed and abandoned tasks, newest first. */
    public List<TaskInfo> history() {
        return live.history();
    }

    /** The handle of the task whose token is {@code token}, if it is live. */
    public Optional<TaskHandle> handleFor(@Nullable CancellationToken token) {
        return Optional.ofNullable((token == null) ? null : live.get(token));
    }

    /** The handle of a live task by id. */
    public Optional<TaskHandle> handle(@Nullable String id) {
        return Optional.ofNullable(live.byId(id));
    }

    /**
     * How many cleanups did not fit into the saturated cleanup executor during shutdown and ran on the exiting
     * task's thread (or, for abandoned tasks, on a thread of their own) instead: not lost, only run elsewhere.
     */
    public long cleanupOverflows() {
        return cleanups.overflows();
    }

    /** The number of cleanups queued or running. */
    public int pendingCleanups() {
        return cleanups.pending();
    }

    // ------------------------------------------------------------------------------------------ cancelling

    /**
     * Cancels a live task (and the tasks started from it).
     *
     * @return the task's snapshot after the request, or empty if no live task has this id
     */
    public Optional<TaskInfo> cancel(@Nullable String id, CancellationReason reason) {
        Objects.requireNonNull(reason, "reason");
        TaskHandle handle = live.byId(id);
        if (handle == null) {
            return Optional.empty();
        }
        handle.cancel(reason);
        return Optional.of(handle.info());
    }

    /**
     * Cancels every live task named {@code name}.
     *
     * @return snapshots of the tasks after the request
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public List<TaskInfo> cancelAll(String name, CancellationReason reason) {
        return cancelAll(name, reason, false);
    }

    /**
     * Cancels every live task named {@code name}; with {@code interrupt}, also interrupts their threads at once
     * instead of waiting for the grace period.
     *
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public List<TaskInfo> cancelAll(String name, CancellationReason reason, boolean interrupt) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("Task name must not be blank");
        }
        Objects.requireNonNull(reason, "reason");
        return live.cancelNamed(name, reason, interrupt);
    }

    /** Cancels every live task. Returns how many this call cancelled. */
    public int cancelEverything(CancellationReason reason) {
        Objects.requireNonNull(reason, "reason");
        return live.cancelEvery(reason);
    }

    // ------------------------------------------------------------------------------------------ shutdown

    /** Whether new tasks are admitted (until {@link #shutdown} starts). */
    public boolean isAdmitting() {
        return admission.isOpen();
    }

    /**
     * Stops the registry: no new tasks are admitted; running tasks get {@code drainTimeout} to finish on their
     * own; the rest are cancelled with a {@code SHUTDOWN} reason and waited for, with their cleanups, up to
     * {@code timeout}; then the threads of those still running are interrupted (if {@code interrupt}), given
     * {@code lastGrace}, and whatever still runs is marked {@link TaskState#ABANDONED} (a task stuck in its cleanup
     * is reported with the cleanup's thread). Finally the cleanup executor is stopped; cleanups still queued are
     * failed.
     *
     * <p>Never takes longer than {@code drainTimeout + timeout + lastGrace} plus a small constant, whatever the
     * tasks, their cancel callbacks and cleanups do (the cancel sweep runs on a helper thread and is not waited
     * for past the bound). Runs once: a later or concurrent call waits for the first one to end (within the same
     * bound) and returns an empty report.
     *
     * @throws IllegalArgumentException if a duration is negative
     */
    public ShutdownReport shutdown(Duration drainTimeout, Duration timeout, boolean interrupt, Duration lastGrace) {
        return shutdown(drainTimeout, timeout, interrupt, lastGrace, () -> { });
    }

    /**
     * {@link #shutdown(Duration, Duration, boolean, Duration)}, with {@code drain} run first, on this thread: the
     * drain period of work that gets one of its own (the HTTP requests in flight), which may cancel tasks with a
     * {@code SHUTDOWN} reason. The report covers the whole shutdown, drain included, the same way whatever the
     * timing: {@code runningAtStart} counts the tasks live before the drain, {@code cancelled} every one of them
     * (and every task still live at the sweep) cancelled with a {@code SHUTDOWN} reason since the shutdown began,
     * whether the drain or the sweep cancelled it and whether it exited before the sweep or not, and the cleanup
     * counts include the drain's. New tasks are admitted until {@code drain} returns. The bound grows by the time
     * {@code drain} takes; a {@link RuntimeException} it throws is logged and the shutdown goes on.
     *
     * @throws IllegalArgumentException if a duration is negative
     */
    public ShutdownReport shutdown(Duration drainTimeout, Duration timeout, boolean interrupt, Duration lastGrace,
            Runnable drain) {
        Objects.requireNonNull(drain, "drain");
        return shutdown.run(drainTimeout, timeout, interrupt, lastGrace, drain, admission::close);
    }

    /** Shuts down with no drain, a 10s bound, interrupts and a 1s last grace. */
    @Override
    public void close() {
        ShutdownReport report = shutdown(Duration.ZERO, Duration.ofSeconds(10), true, Duration.ofSeconds(1));
        if (report.runningAtStart() > 0) {
            TaskLog.LOGGER.log(System.Logger.Level.INFO, report::describe);
        }
    }
}
