package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Knows every running task: those started by {@code @Cancellable} methods and those run programmatically with
 * {@link #run(String, Duration, Function)}. Operators list and cancel them; shutdown cancels and waits for them.
 *
 * <p>Framework-free: Spring only creates and wires it. A task enters the live table when it starts and leaves it
 * as soon as it is finished (exited and cleaned up), in O(1); the last {@code historySize} cancelled, failed and
 * abandoned tasks are kept in a bounded history for operators.
 *
 * <p>It owns the bounded cleanup executor on which {@link CleanupAction}s run, each shielded with its own token
 * and bound by the cleanup timeout.
 *
 * <p>Thread-safety: every method may be called from any thread. The live table is a {@link ConcurrentHashMap}
 * keyed by task token (so that a new task finds its parent task with one lookup), the id index another one, the
 * history a lock-free ring ({@code TaskHistory}), ids come from a lock-free keyed generator ({@code TaskIds}); no
 * lock is held while user code or listeners run. Shutdown runs at most once; a concurrent second call waits
 * (bounded) for the first to finish.
 *
 * <p>Cost of a task: what every task pays is one live-table insert and removal, its token, and its cancel hook.
 * Ids are generated (and indexed for {@link #find}) the first time a task is observed (its id or a snapshot is
 * asked for, by a listener, a listing or the caller), never for tasks nobody looks at; snapshots for listeners are
 * built once per event and only for events some listener actually overrides; wall-clock instants are derived from
 * {@link System#nanoTime()} when a snapshot is taken.
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

    private static final System.Logger LOGGER = System.getLogger(TaskRegistry.class.getName());

    private final Settings settings;
    /** The live tasks by token. */
    private final ConcurrentHashMap<CancellationToken, TaskHandle> live = new ConcurrentHashMap<>();
    /** The live tasks whose id has been revealed, by id (see {@link TaskHandle#id()}). */
    private final ConcurrentHashMap<String, TaskHandle> byId = new ConcurrentHashMap<>();
    private final TaskHistory history;
    private final TaskIds ids = new TaskIds();
    private final List<TaskListener> listeners = new CopyOnWriteArrayList<>();
    private volatile Listeners dispatch = Listeners.NONE;
    private final ThreadPoolExecutor cleanupExecutor;
    private final AtomicLong cleanupsSucceeded = new AtomicLong();
    private final AtomicLong cleanupsFailed = new AtomicLong();
    private final AtomicLong cleanupsTimedOut = new AtomicLong();
    private final AtomicInteger pendingCleanups = new AtomicInteger();
    private final AtomicInteger abandonedLive = new AtomicInteger();
    private final ConcurrentHashMap<TaskHandle, CleanupRun> running = new ConcurrentHashMap<>();
    private volatile boolean admitting = true;
    private volatile Thread shutdownWaiter;
    /** An interrupt of the shutdown thread while it waited: cleared then, restored when the shutdown returns. */
    private boolean shutdownInterrupted;
    private final AtomicBoolean shutDown = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile long shutdownBoundNanos;

    /** A registry with {@link Settings#defaults()}. */
    public TaskRegistry() {
        this(Settings.defaults());
    }

    /** A registry with the given settings. */
    public TaskRegistry(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.history = new TaskHistory(settings.historySize());
        AtomicInteger threadNumber = new AtomicInteger();
        this.cleanupExecutor = new ThreadPoolExecutor(settings.cleanupThreads(), settings.cleanupThreads(),
                30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(settings.cleanupQueueCapacity()), runnable -> {
                    Thread thread = new Thread(runnable, "cancellation-cleanup-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.cleanupExecutor.allowCoreThreadTimeOut(true);
    }

    /** The settings this registry was created with. */
    public Settings settings() {
        return settings;
    }

    /** Adds a listener of task events. */
    public void addListener(TaskListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        refreshDispatch();
    }

    /** Removes a listener. */
    public void removeListener(TaskListener listener) {
        listeners.remove(listener);
        refreshDispatch();
    }

    /** Rebuilds the per-event arrays from the list; the lock only orders concurrent rebuilds (no blocking). */
    private void refreshDispatch() {
        synchronized (listeners) {
            dispatch = Listeners.of(listeners);
        }
    }

    /**
     * The listeners of each event: only those that override its method, so that an event nobody handles costs
     * nothing (no snapshot, no lambda). Immutable.
     */
    private record Listeners(TaskListener[] started, TaskListener[] cancelRequested, TaskListener[] exited,
            TaskListener[] abandoned, TaskListener[] cleanupFinished, TaskListener[] removed) {

        static final TaskListener[] EMPTY = new TaskListener[0];
        static final Listeners NONE = new Listeners(EMPTY, EMPTY, EMPTY, EMPTY, EMPTY, EMPTY);

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

    private final Escalations escalations = new Escalations("cancellation-escalation");

    /** Hands a cancelled task to the escalation sweeper, its first step due at {@code dueNanos}. */
    void escalate(TaskHandle handle, long dueNanos) {
        escalations.add(handle, dueNanos);
    }

    /** A task handed to the sweeper has exited. */
    void escalationExited() {
        escalations.exited();
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
    public TaskHandle start(TaskSpec spec, CancellationToken parent) {
        Objects.requireNonNull(spec, "spec");
        if (!admitting) {
            throw new TaskRejectedException(spec.name());
        }
        CancellationToken parentToken = (parent == null) ? CancellationToken.none() : parent;
        TaskHandle parentTask = parentToken.isNone() ? null : live.get(parentToken);
        TaskHandle handle = new TaskHandle(this, spec, parentToken, parentTask);
        live.put(handle.token(), handle); // a new token: no clash possible
        TaskListener[] interested = dispatch.started();
        if (interested.length > 0) {
            TaskInfo info = handle.info();
            deliver(interested, listener -> listener.onStarted(info));
        }
        // Only now react to cancellation, so that listeners see onStarted before onCancelRequested even when the
        // parent is already cancelled.
        handle.activate();
        if (!admitting) { // lost a race with shutdown: it may not have seen this task
            handle.cancel(CancellationReason.shutdown("registry"));
        }
        return handle;
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
    public <T> T run(String name, Duration timeout, Function<? super CancellationToken, ? extends T> work) {
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
    public interface TaskBody<T> {
        /** Runs the task's code with its token. */
        T run(CancellationToken token) throws Throwable;
    }

    /**
     * Runs {@code body} on this thread as a task described by {@code spec}: registers it, attaches this thread,
     * runs it, and applies {@link TaskHandle#exit(Throwable)}: returns the result, or throws the failure or the
     * {@code TaskCancelledException} it was translated to.
     */
    public <T> T call(TaskSpec spec, TaskBody<T> body) throws Throwable {
        TaskHandle handle = start(spec);
        T result = null;
        Throwable failure = null;
        try (TaskHandle.Attachment ignored = handle.attach()) {
            result = body.run(handle.token());
        } catch (Throwable ex) {
            failure = ex;
        }
        Throwable toThrow = handle.exit(failure);
        if (toThrow != null) {
            throw toThrow;
        }
        return result;
    }

    // ------------------------------------------------------------------------------------------ queries

    /** Snapshots of the live tasks, oldest first. */
    public List<TaskInfo> list() {
        return list(null, null);
    }

    /** Snapshots of the live tasks with the given name and/or state ({@code null} for any), oldest first. */
    public List<TaskInfo> list(String name, TaskState state) {
        List<TaskHandle> matching = new ArrayList<>();
        for (TaskHandle handle : live.values()) {
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

    /** The number of live tasks. */
    public int size() {
        return live.size();
    }

    /** The number of live tasks that are abandoned (their thread still runs their code). */
    public int abandonedCount() {
        int count = 0;
        for (TaskHandle handle : live.values()) {
            if (handle.state() == TaskState.ABANDONED) {
                count++;
            }
        }
        return count;
    }

    /** A live task by id. */
    public Optional<TaskInfo> find(String id) {
        return Optional.ofNullable(liveById(id)).map(TaskHandle::info);
    }

    /** The live task with this id: ids are indexed when first revealed, and only a revealed id can be known. */
    private TaskHandle liveById(String id) {
        return (id == null) ? null : byId.get(id);
    }

    /** A live task, or else a task from the history, by id. */
    public Optional<TaskInfo> findIncludingHistory(String id) {
        Optional<TaskInfo> found = find(id);
        if (found.isPresent() || id == null) {
            return found;
        }
        return history().stream().filter(info -> info.id().equals(id)).findFirst();
    }

    /** The live tasks started from the task {@code id} (its direct children), oldest first. */
    public List<TaskInfo> children(String id) {
        if (id == null) {
            return new ArrayList<>();
        }
        TaskHandle parent = liveById(id);
        List<TaskHandle> matching = new ArrayList<>();
        for (TaskHandle handle : live.values()) {
            TaskHandle itsParent = handle.parent();
            // a live parent is compared by identity, which reveals no other ids; a finished one by its id
            if (itsParent != null && (parent != null ? itsParent == parent : id.equals(itsParent.id()))) {
                matching.add(handle);
            }
        }
        return snapshots(matching);
    }

    /** The recently finished cancelled, failed and abandoned tasks, newest first. */
    public List<TaskInfo> history() {
        return history.newestFirst();
    }

    /** The handle of the task whose token is {@code token}, if it is live. */
    public Optional<TaskHandle> handleFor(CancellationToken token) {
        return Optional.ofNullable((token == null) ? null : live.get(token));
    }

    /** The handle of a live task by id. */
    public Optional<TaskHandle> handle(String id) {
        return Optional.ofNullable(liveById(id));
    }

    // ------------------------------------------------------------------------------------------ cancelling

    /**
     * Cancels a live task (and the tasks started from it).
     *
     * @return the task's snapshot after the request, or empty if no live task has this id
     */
    public Optional<TaskInfo> cancel(String id, CancellationReason reason) {
        Objects.requireNonNull(reason, "reason");
        TaskHandle handle = liveById(id);
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
        List<TaskInfo> result = new ArrayList<>();
        for (TaskHandle handle : live.values()) {
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

    /** Cancels every live task. Returns how many this call cancelled. */
    public int cancelEverything(CancellationReason reason) {
        Objects.requireNonNull(reason, "reason");
        int count = 0;
        for (TaskHandle handle : live.values()) {
            if (handle.cancel(reason)) {
                count++;
            }
        }
        return count;
    }

    // ------------------------------------------------------------------------------------------ events

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
    void exited(TaskHandle handle, TaskOutcome outcome, long runNanos, long stopLatencyNanos, Throwable failure) {
        TaskListener[] interested = dispatch.exited();
        if (interested.length > 0) {
            TaskInfo info = handle.info();
            Duration runTime = Duration.ofNanos(runNanos);
            Duration stopLatency = (stopLatencyNanos < 0) ? null : Duration.ofNanos(stopLatencyNanos);
            deliver(interested, listener -> listener.onExited(info, outcome, runTime, stopLatency, failure));
        }
    }

    void abandoned(TaskHandle handle) {
        abandonedLive.incrementAndGet();
        TaskInfo info = handle.info();
        LOGGER.log(System.Logger.Level.WARNING, () -> "Task " + info.id() + " (" + info.name()
                + ") abandoned: still running on " + info.thread() + " after its grace periods");
        TaskListener[] interested = dispatch.abandoned();
        if (interested.length > 0) {
            deliver(interested, listener -> listener.onAbandoned(info));
        }
    }

    void remove(TaskHandle handle) {
        if (!live.remove(handle.token(), handle)) {
            return;
        }
        TaskState state = handle.state();
        if (state == TaskState.ABANDONED) {
            abandonedLive.decrementAndGet();
        }
        TaskListener[] interested = dispatch.removed();
        TaskInfo info = null;
        if (state != TaskState.COMPLETED || interested.length > 0) { // the common case allocates no snapshot
            info = handle.info();
            if (state != TaskState.COMPLETED) {
                history.add(info);
            }
        }
        // Unindexed only once in the history: a lookup by id finds the task throughout.
        handle.unlist();
        if (interested.length > 0) {
            TaskInfo removed = info;
            deliver(interested, listener -> listener.onRemoved(removed));
        }
        Thread waiter = shutdownWaiter;
        if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }

    private static void deliver(TaskListener[] interested, java.util.function.Consumer<TaskListener> event) {
        for (TaskListener listener : interested) {
            try {
                event.accept(listener);
            } catch (VirtualMachineError fatal) {
                throw fatal;
            } catch (Throwable ex) { // a listener never stops the task's own lifecycle (interrupt, abandon, cleanup)
                LOGGER.log(System.Logger.Level.WARNING, "Task listener " + listener + " failed", ex);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ cleanup

    /**
     * Runs a cleanup on the cleanup executor. When the executor is saturated:
     * <ul>
     * <li>while the registry admits tasks, the cleanup fails at once (a clear message to listeners; the log gets
     * one aggregated line per burst, not a stack trace per cleanup): the caller's thread is never held;</li>
     * <li>while it shuts down, the cleanup is not lost: it runs on the exiting task's own thread
     * ({@code onExitingThread}: the task is over, and a burst of exits is throttled by the exiting threads
     * themselves), or else (an abandoned task: the caller is the escalation sweeper or the shutdown thread, which
     * must not block) on a thread of its own. Either way it is shielded and bounded by the cleanup timeout as
     * usual, so the shutdown waits for it only within its own bound.</li>
     * </ul>
     * A registry that has shut down fails the cleanup.
     */
    void runCleanup(TaskHandle handle, CleanupAction action, CancellationReason reason, boolean onExitingThread) {
        CleanupRun run = new CleanupRun(handle, handle.info(), action, reason);
        pendingCleanups.incrementAndGet();
        running.put(handle, run);
        try {
            cleanupExecutor.execute(run);
            return;
        } catch (RejectedExecutionException rejected) {
            if (cleanupExecutor.isShutdown()) {
                run.finish(CleanupOutcome.FAILED, new RejectedExecutionException("Cleanup of task " + run.info.id()
                        + " (" + run.info.name() + ") rejected: the registry has shut down", rejected));
                return;
            }
            if (admitting) {
                RejectedExecutionException failure = new RejectedExecutionException("Cleanup of task "
                        + run.info.id() + " (" + run.info.name() + ") rejected: the cleanup executor is saturated ("
                        + settings.cleanupThreads() + " threads busy, " + settings.cleanupQueueCapacity()
                        + " queued; see cancellation.cleanup.*)", rejected);
                // one line naming the task, without a stack trace: a burst must not flood the log
                LOGGER.log(System.Logger.Level.WARNING, failure.getMessage());
                run.finish(CleanupOutcome.FAILED, failure, false);
                noteSaturated(false);
                return;
            }
        }
        noteSaturated(true);
        if (onExitingThread) {
            run.runOnCallingThread();
        } else {
            Thread thread = new Thread(run, "cancellation-cleanup-overflow");
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** How often at most a saturated cleanup executor is logged: once per burst, with the count. */
    private static final long OVERFLOW_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong cleanupOverflows = new AtomicLong();
    private final AtomicLong cleanupRejections = new AtomicLong();
    private final AtomicLong saturationsLogged = new AtomicLong();
    private final AtomicLong lastSaturationLogNanos = new AtomicLong(System.nanoTime() - OVERFLOW_LOG_INTERVAL_NANOS);

    /**
     * Counts a saturated-executor event ({@code overflow}: the cleanup ran elsewhere; else it failed) and logs one
     * aggregated line per interval, never one per cleanup.
     */
    private void noteSaturated(boolean overflow) {
        (overflow ? cleanupOverflows : cleanupRejections).incrementAndGet();
        long overflows = cleanupOverflows.get();
        long rejections = cleanupRejections.get();
        long total = overflows + rejections;
        long now = System.nanoTime();
        long last = lastSaturationLogNanos.get();
        if (now - last >= OVERFLOW_LOG_INTERVAL_NANOS && lastSaturationLogNanos.compareAndSet(last, now)) {
            long since = total - saturationsLogged.getAndSet(total);
            LOGGER.log(System.Logger.Level.WARNING, () -> "Cleanup executor saturated (" + settings.cleanupThreads()
                    + " threads, " + settings.cleanupQueueCapacity() + " queued; see cancellation.cleanup.*): " + since
                    + " cleanup(s) did not fit since the last report; in total " + rejections + " failed (rejected "
                    + "while running) and " + overflows + " ran on the exiting task's thread or a thread of their own "
                    + "(during shutdown, which loses none); reported at most every "
                    + TimeUnit.NANOSECONDS.toSeconds(OVERFLOW_LOG_INTERVAL_NANOS) + "s");
        }
    }

    /**
     * How many cleanups did not fit into the saturated cleanup executor during shutdown and ran on the exiting
     * task's thread (or, for abandoned tasks, on a thread of their own) instead: not lost, only run elsewhere.
     */
    public long cleanupOverflows() {
        return cleanupOverflows.get();
    }

    /** The number of cleanups queued or running. */
    public int pendingCleanups() {
        return pendingCleanups.get();
    }

    /**
     * One cleanup: finishes exactly once, when the action ends or when its bound passes, whichever is first.
     *
     * <p>The worker thread is interrupted at the bound, but never after {@link #run()} has returned: the same
     * armed/interrupting/detached protocol as a task attachment, so a pooled cleanup thread never carries a stale
     * interrupt into the next cleanup.
     */
    private final class CleanupRun implements Runnable {

        private static final int ARMED = 0;
        private static final int INTERRUPTING = 1;
        private static final int DETACHED = 2;

        private final TaskHandle handle;
        private final TaskInfo info;
        private final CleanupAction action;
        private final CancellationReason reason;
        private final AtomicBoolean finished = new AtomicBoolean();
        private final AtomicInteger interruptGuard = new AtomicInteger(ARMED);
        private final long startNanos = System.nanoTime();
        private volatile CancellationSource shield;
        private volatile Thread worker;

        CleanupRun(TaskHandle handle, TaskInfo info, CleanupAction action, CancellationReason reason) {
            this.handle = handle;
            this.info = info;
            this.action = action;
            this.reason = reason;
        }

        @Override
        public void run() {
            if (finished.get()) {
                return;
            }
            CancellationSource bound = CancellationSource.withTimeout(settings.cleanupTimeout());
            shield = bound;
            worker = Thread.currentThread();
            Registration onBound = bound.token().onCancel(r -> {
                if (r.isTimeout() && finish(CleanupOutcome.TIMEOUT, null)) {
                    interruptWorker(); // no longer waited for; wake it if it blocks
                }
            });
            try (Cancellation.Scope ignored = Cancellation.enter(bound.token())) {
                CompletionStage<?> stage = action.cleanUp(info, reason, bound.token());
                if (stage == null) {
                    finish(CleanupOutcome.SUCCESS, null);
                } else {
                    stage.whenComplete((value, failure) -> finish(
                            (failure == null) ? CleanupOutcome.SUCCESS : CleanupOutcome.FAILED, failure));
                }
            } catch (Throwable ex) {
                finish(CleanupOutcome.FAILED, ex);
            } finally {
                if (finished.get()) {
                    onBound.close();
                }
                while (!interruptGuard.compareAndSet(ARMED, DETACHED)) {
                    Thread.onSpinWait(); // an interrupt is being delivered right now: let it land, then clear it
                }
                worker = null;
                Thread.interrupted(); // never leave a pooled cleanup thread interrupted
            }
        }

        private void interruptWorker() {
            if (interruptGuard.compareAndSet(ARMED, INTERRUPTING)) {
                try {
                    Thread thread = worker;
                    if (thread != null) {
                        thread.interrupt();
                    }
                } finally {
                    interruptGuard.set(ARMED);
                }
            }
        }

        /**
         * Runs on the current thread (an exiting task's): keeps that thread's own interrupt status out of the
         * cleanup and gives it back afterwards.
         */
        void runOnCallingThread() {
            boolean wasInterrupted = Thread.interrupted();
            try {
                run();
            } finally {
                if (wasInterrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** The thread running this cleanup's action, or {@code null}. */
        Thread worker() {
            return worker;
        }

        boolean finish(CleanupOutcome outcome, Throwable failure) {
            return finish(outcome, failure, true);
        }

        /** Finishes once; {@code log} is false when the caller logs an aggregate instead. */
        boolean finish(CleanupOutcome outcome, Throwable failure, boolean log) {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            CancellationSource bound = shield;
            if (bound != null) {
                bound.cancel(CancellationReason.requested("cleanup finished", "cleanup"));
                bound.close();
            }
            running.remove(handle, this);
            Duration duration = Duration.ofNanos(System.nanoTime() - startNanos);
            switch (outcome) {
                case SUCCESS -> cleanupsSucceeded.incrementAndGet();
                case FAILED -> {
                    cleanupsFailed.incrementAndGet();
                    if (log) {
                        LOGGER.log(System.Logger.Level.WARNING, "Cleanup of task " + info.id() + " (" + info.name()
                                + ") failed: " + failure, failure);
                    }
                }
                case TIMEOUT -> {
                    cleanupsTimedOut.incrementAndGet();
                    LOGGER.log(System.Logger.Level.WARNING, () -> "Cleanup of task " + info.id() + " ("
                            + info.name() + ") did not finish within " + settings.cleanupTimeout()
                            + "; its token was cancelled, its thread interrupted, and it is no longer waited for");
                }
            }
            pendingCleanups.decrementAndGet();
            TaskListener[] interested = dispatch.cleanupFinished();
            if (interested.length > 0) {
                deliver(interested, listener -> listener.onCleanupFinished(info, outcome, duration, failure));
            }
            handle.cleanupFinished();
            return true;
        }
    }

    // ------------------------------------------------------------------------------------------ shutdown

    /** Whether new tasks are admitted (until {@link #shutdown} starts). */
    public boolean isAdmitting() {
        return admitting;
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
        requireNotNegative(drainTimeout, "drainTimeout");
        requireNotNegative(timeout, "timeout");
        requireNotNegative(lastGrace, "lastGrace");
        long startNanos = System.nanoTime();
        Instant startedAt = Instant.now();
        long boundNanos = saturatedNanos(drainTimeout, timeout, lastGrace);
        if (!shutDown.compareAndSet(false, true)) {
            awaitTermination(Math.max(boundNanos, shutdownBoundNanos));
            return ShutdownReport.empty(startedAt);
        }
        shutdownBoundNanos = boundNanos;
        admitting = false;
        shutdownWaiter = Thread.currentThread();
        long succeededBefore = cleanupsSucceeded.get();
        long failedBefore = cleanupsFailed.get();
        long timedOutBefore = cleanupsTimedOut.get();
        try {
            int runningAtStart = live.size();
            long drainDeadline = startNanos + saturatedNanos(drainTimeout);
            boolean drained = !drainTimeout.isZero() && awaitEmpty(drainDeadline);
            List<TaskInfo> cancelled = new ArrayList<>();
            long cancelDeadline = System.nanoTime() + saturatedNanos(timeout);
            if (!drained) {
                cancelled = cancelAllWithin(CancellationReason.shutdown("application shutdown"), cancelDeadline);
            }
            boolean done = drained || awaitEmpty(cancelDeadline);
            List<ShutdownReport.Abandoned> abandoned = new ArrayList<>();
            if (!done) {
                long graceDeadline = System.nanoTime() + saturatedNanos(lastGrace);
                if (interrupt) {
                    for (TaskHandle handle : live.values()) {
                        handle.interruptNow();
                    }
                }
                if (!awaitEmpty(graceDeadline)) {
                    abandonRemaining(abandoned);
                }
            }
            return new ShutdownReport(startedAt, Duration.ofNanos(System.nanoTime() - startNanos), runningAtStart,
                    cancelled, (int) (cleanupsSucceeded.get() - succeededBefore),
                    (int) (cleanupsFailed.get() - failedBefore), (int) (cleanupsTimedOut.get() - timedOutBefore),
                    abandoned, live.size());
        } finally {
            shutdownWaiter = null;
            if (shutdownInterrupted) {
                Thread.currentThread().interrupt(); // the caller's interrupt, kept for it once the bound is kept
            }
            List<String> notRun = new ArrayList<>();
            for (Runnable queued : cleanupExecutor.shutdownNow()) {
                if (queued instanceof CleanupRun run) { // never started: it will not run now
                    if (run.finish(CleanupOutcome.FAILED, new RejectedExecutionException("Cleanup of task "
                            + run.info.id() + " (" + run.info.name() + ") not run: the registry shut down first"),
                            false)) {
                        notRun.add(run.info.id() + " (" + run.info.name() + ")");
                    }
                }
            }
            if (!notRun.isEmpty()) { // one line, not one stack trace per cleanup
                LOGGER.log(System.Logger.Level.WARNING, () -> notRun.size() + " queued cleanup(s) not run: the "
                        + "registry's shutdown bound passed first: " + String.join(", ",
                                notRun.subList(0, Math.min(notRun.size(), 20)))
                        + (notRun.size() > 20 ? ", ..." : ""));
            }
            terminated.countDown();
        }
    }

    /** How many abandoned tasks get their thread's stack in the report: stacks cost a safepoint each. */
    private static final int MAX_STACKS = 50;

    private void abandonRemaining(List<ShutdownReport.Abandoned> abandoned) {
        for (TaskHandle handle : live.values()) {
            Thread thread;
            if (handle.state() == TaskState.CLEANING_UP) {
                CleanupRun run = running.get(handle);
                thread = (run == null) ? null : run.worker();
            } else {
                thread = handle.attachedThread();
                handle.abandon();
            }
            StackTraceElement[] stack = (thread == null || abandoned.size() >= MAX_STACKS)
                    ? new StackTraceElement[0] : thread.getStackTrace();
            abandoned.add(new ShutdownReport.Abandoned(handle.info(), stack));
        }
    }

    /**
     * Cancels every live task on a helper thread and waits for that sweep until {@code deadlineNanos}: a
     * cancel runs the tokens' callbacks, which are user code and could block.
     */
    private List<TaskInfo> cancelAllWithin(CancellationReason reason, long deadlineNanos) {
        List<TaskInfo> cancelled = new CopyOnWriteArrayList<>();
        Thread sweeper = new Thread(() -> {
            // A snapshot first: a child cancelled through its parent may exit and leave the table before the
            // sweep reaches it, and it was cancelled by this shutdown all the same (it carries this reason).
            List<TaskHandle> running = new ArrayList<>(live.values());
            for (TaskHandle handle : running) {
                handle.cancel(reason);
            }
            for (TaskHandle handle : running) {
                if (handle.token().reason().orElse(null) == reason) {
                    cancelled.add(handle.info());
                }
            }
        }, "cancellation-shutdown");
        sweeper.setDaemon(true);
        sweeper.start();
        long remaining;
        while (sweeper.isAlive() && (remaining = deadlineNanos - System.nanoTime()) > 0) {
            try {
                sweeper.join(Duration.ofNanos(remaining).toMillis() + 1);
            } catch (InterruptedException ex) { // cleared; the shutdown keeps its bound and restores it at the end
                shutdownInterrupted = true;
            }
        }
        return new ArrayList<>(cancelled);
    }

    private void awaitTermination(long boundNanos) {
        try {
            if (!terminated.await(boundNanos, TimeUnit.NANOSECONDS)) {
                LOGGER.log(System.Logger.Level.WARNING, "Task registry shutdown still running after its bound");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static void requireNotNegative(Duration value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isNegative()) {
            throw new IllegalArgumentException("Shutdown " + what + " must not be negative: " + value);
        }
    }

    /** The sum in nanoseconds, capped at ~73 years so that {@code System.nanoTime() + sum} cannot overflow. */
    private static long saturatedNanos(Duration... parts) {
        long cap = Long.MAX_VALUE / 4;
        long total = 0;
        for (Duration part : parts) {
            long nanos;
            try {
                nanos = part.toNanos();
            } catch (ArithmeticException tooLong) {
                return cap;
            }
            total += Math.min(nanos, cap);
            if (total >= cap) {
                return cap;
            }
        }
        return total;
    }

    /**
     * Parks until no live task is waited for (abandoned ones no longer are) and no cleanup is pending, or the
     * deadline passes. Woken by every removal; the 10 ms cap covers cleanups that end without a removal.
     */
    private boolean awaitEmpty(long deadlineNanos) {
        while (true) {
            if (live.size() <= abandonedLive.get() && pendingCleanups.get() == 0) {
                return true;
            }
            long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0) {
                return false;
            }
            if (Thread.interrupted()) { // else every park returns at once: a busy loop until the deadline
                shutdownInterrupted = true;
            }
            LockSupport.parkNanos(this, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(10)));
        }
    }

    /** Shuts down with no drain, a 10s bound, interrupts and a 1s last grace. */
    @Override
    public void close() {
        ShutdownReport report = shutdown(Duration.ZERO, Duration.ofSeconds(10), true, Duration.ofSeconds(1));
        if (report.runningAtStart() > 0) {
            LOGGER.log(System.Logger.Level.INFO, report::describe);
        }
    }
}
