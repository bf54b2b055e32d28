package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
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
 * <p>Thread-safety: every method may be called from any thread. The live table is a {@link ConcurrentHashMap};
 * no lock is held while user code or listeners run.
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
    private final ConcurrentHashMap<String, TaskHandle> live = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CancellationToken, TaskHandle> byToken = new ConcurrentHashMap<>();
    private final ArrayDeque<TaskInfo> history = new ArrayDeque<>();
    private final List<TaskListener> listeners = new CopyOnWriteArrayList<>();
    private final ThreadPoolExecutor cleanupExecutor;
    private final AtomicLong cleanupsSucceeded = new AtomicLong();
    private final AtomicLong cleanupsFailed = new AtomicLong();
    private final AtomicLong cleanupsTimedOut = new AtomicLong();
    private final AtomicInteger pendingCleanups = new AtomicInteger();
    private volatile boolean admitting = true;
    private volatile Thread shutdownWaiter;
    private final AtomicBoolean shutDown = new AtomicBoolean();

    /** A registry with {@link Settings#defaults()}. */
    public TaskRegistry() {
        this(Settings.defaults());
    }

    /** A registry with the given settings. */
    public TaskRegistry(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
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
        if (!admitting) {
            throw new TaskRejectedException(spec.name());
        }
        TaskHandle parentTask = spec.parent().isNone() ? null : byToken.get(spec.parent());
        TaskHandle handle = new TaskHandle(this, newId(), spec, (parentTask == null) ? null : parentTask.id());
        live.put(handle.id(), handle);
        byToken.put(handle.token(), handle);
        if (!admitting) { // lost a race with shutdown: it may not have seen this task
            handle.cancel(CancellationReason.shutdown("registry"));
        }
        fire(listener -> listener.onStarted(handle.info()));
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
        TaskSpec spec = new TaskSpec(name, CancellationToken.current(), timeout, null, Duration.ZERO, null);
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

    private static String newId() {
        // 96 random bits: ids cannot be enumerated; the endpoint that accepts them is access-controlled anyway.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = random.nextLong();
        int low = random.nextInt();
        return String.format("%016x%08x", high, low);
    }

    // ------------------------------------------------------------------------------------------ queries

    /** Snapshots of the live tasks, oldest first. */
    public List<TaskInfo> list() {
        return list(null, null);
    }

    /** Snapshots of the live tasks with the given name and/or state ({@code null} for any), oldest first. */
    public List<TaskInfo> list(String name, TaskState state) {
        List<TaskInfo> result = new ArrayList<>();
        for (TaskHandle handle : live.values()) {
            if (name != null && !name.equals(handle.name())) {
                continue;
            }
            TaskInfo info = handle.info();
            if (state == null || info.state() == state) {
                result.add(info);
            }
        }
        result.sort(Comparator.comparing(TaskInfo::startedAt).thenComparing(TaskInfo::id));
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
        TaskHandle handle = (id == null) ? null : live.get(id);
        return Optional.ofNullable(handle).map(TaskHandle::info);
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
        List<TaskInfo> result = new ArrayList<>();
        for (TaskHandle handle : live.values()) {
            if (id.equals(handle.parentId())) {
                result.add(handle.info());
            }
        }
        result.sort(Comparator.comparing(TaskInfo::startedAt).thenComparing(TaskInfo::id));
        return result;
    }

    /** The recently finished cancelled, failed and abandoned tasks, newest first. */
    public List<TaskInfo> history() {
        synchronized (history) {
            List<TaskInfo> result = new ArrayList<>(history);
            java.util.Collections.reverse(result);
            return result;
        }
    }

    /** The handle of the task whose token is {@code token}, if it is live. */
    public Optional<TaskHandle> handleFor(CancellationToken token) {
        return Optional.ofNullable((token == null) ? null : byToken.get(token));
    }

    /** The handle of a live task by id. */
    public Optional<TaskHandle> handle(String id) {
        return Optional.ofNullable((id == null) ? null : live.get(id));
    }

    // ------------------------------------------------------------------------------------------ cancelling

    /**
     * Cancels a live task (and the tasks started from it).
     *
     * @return the task's snapshot after the request, or empty if no live task has this id
     */
    public Optional<TaskInfo> cancel(String id, CancellationReason reason) {
        Objects.requireNonNull(reason, "reason");
        TaskHandle handle = (id == null) ? null : live.get(id);
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
        fire(listener -> listener.onCancelRequested(handle.info(), reason));
    }

    void exited(TaskHandle handle, TaskOutcome outcome, Duration runTime, Duration stopLatency) {
        byToken.remove(handle.token());
        fire(listener -> listener.onExited(handle.info(), outcome, runTime, stopLatency));
    }

    void abandoned(TaskHandle handle) {
        TaskInfo info = handle.info();
        LOGGER.log(System.Logger.Level.WARNING, () -> "Task " + info.id() + " (" + info.name()
                + ") abandoned: still running on " + info.thread() + " after its grace periods");
        fire(listener -> listener.onAbandoned(info));
    }

    void remove(TaskHandle handle) {
        if (!live.remove(handle.id(), handle)) {
            return;
        }
        byToken.remove(handle.token());
        TaskInfo info = handle.info();
        if (settings.historySize() > 0 && info.state() != TaskState.COMPLETED) {
            synchronized (history) {
                history.addLast(info);
                while (history.size() > settings.historySize()) {
                    history.removeFirst();
                }
            }
        }
        fire(listener -> listener.onRemoved(info));
        Thread waiter = shutdownWaiter;
        if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }

    private void fire(java.util.function.Consumer<TaskListener> event) {
        for (TaskListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException ex) {
                LOGGER.log(System.Logger.Level.WARNING, "Task listener " + listener + " failed", ex);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ cleanup

    void runCleanup(TaskHandle handle, CleanupAction action, CancellationReason reason) {
        TaskInfo info = handle.info();
        CleanupRun run = new CleanupRun(handle, info);
        pendingCleanups.incrementAndGet();
        try {
            cleanupExecutor.execute(() -> run.execute(action, reason));
        } catch (RejectedExecutionException rejected) {
            run.finish(CleanupOutcome.FAILED, new RejectedExecutionException("Cleanup of task " + info.id() + " ("
                    + info.name() + ") rejected: the cleanup executor is saturated or shut down", rejected));
        }
    }

    /** The number of cleanups queued or running. */
    public int pendingCleanups() {
        return pendingCleanups.get();
    }

    /** One cleanup: finishes exactly once, when the action ends or when its bound passes, whichever is first. */
    private final class CleanupRun {

        private final TaskHandle handle;
        private final TaskInfo info;
        private final AtomicBoolean finished = new AtomicBoolean();
        private final long startNanos = System.nanoTime();
        private volatile CancellationSource shield;

        CleanupRun(TaskHandle handle, TaskInfo info) {
            this.handle = handle;
            this.info = info;
        }

        void execute(CleanupAction action, CancellationReason reason) {
            CancellationSource bound = CancellationSource.withTimeout(settings.cleanupTimeout());
            shield = bound;
            Thread worker = Thread.currentThread();
            Registration onBound = bound.token().onCancel(r -> {
                if (r.isTimeout() && finish(CleanupOutcome.TIMEOUT, null)) {
                    worker.interrupt(); // the cleanup is no longer waited for; wake it if it blocks
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
                Thread.interrupted(); // never leave a pooled cleanup thread interrupted
            }
        }

        boolean finish(CleanupOutcome outcome, Throwable failure) {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            CancellationSource bound = shield;
            if (bound != null) {
                bound.cancel(CancellationReason.requested("cleanup finished", "cleanup"));
                bound.close();
            }
            Duration duration = Duration.ofNanos(System.nanoTime() - startNanos);
            switch (outcome) {
                case SUCCESS -> cleanupsSucceeded.incrementAndGet();
                case FAILED -> {
                    cleanupsFailed.incrementAndGet();
                    LOGGER.log(System.Logger.Level.WARNING, "Cleanup of task " + info.id() + " (" + info.name()
                            + ") failed", failure);
                }
                case TIMEOUT -> {
                    cleanupsTimedOut.incrementAndGet();
                    LOGGER.log(System.Logger.Level.WARNING, () -> "Cleanup of task " + info.id() + " ("
                            + info.name() + ") did not finish within " + settings.cleanupTimeout()
                            + "; its token was cancelled and it is no longer waited for");
                }
            }
            pendingCleanups.decrementAndGet();
            fire(listener -> listener.onCleanupFinished(info, outcome, duration, failure));
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
     * {@code lastGrace}, and whatever still runs is marked {@link TaskState#ABANDONED}. Finally the cleanup
     * executor is stopped.
     *
     * <p>Never takes longer than {@code drainTimeout + timeout + lastGrace} plus a few milliseconds, whatever the
     * tasks and cleanups do. Idempotent: later calls return an empty report.
     */
    public ShutdownReport shutdown(Duration drainTimeout, Duration timeout, boolean interrupt, Duration lastGrace) {
        long startNanos = System.nanoTime();
        Instant startedAt = Instant.now();
        if (!shutDown.compareAndSet(false, true)) {
            return ShutdownReport.empty(startedAt);
        }
        admitting = false;
        shutdownWaiter = Thread.currentThread();
        long succeededBefore = cleanupsSucceeded.get();
        long failedBefore = cleanupsFailed.get();
        long timedOutBefore = cleanupsTimedOut.get();
        try {
            int runningAtStart = live.size();
            boolean drained = !drainTimeout.isZero() && awaitEmpty(System.nanoTime() + drainTimeout.toNanos());
            List<TaskInfo> cancelled = new ArrayList<>();
            CancellationReason reason = CancellationReason.shutdown("application shutdown");
            if (!drained) {
                for (TaskHandle handle : live.values()) {
                    if (handle.cancel(reason)) {
                        cancelled.add(handle.info());
                    }
                }
            }
            boolean done = drained || awaitEmpty(System.nanoTime() + timeout.toNanos());
            List<ShutdownReport.Abandoned> abandoned = new ArrayList<>();
            if (!done) {
                if (interrupt) {
                    for (TaskHandle handle : live.values()) {
                        handle.interruptNow();
                    }
                }
                if (!awaitEmpty(System.nanoTime() + lastGrace.toNanos())) {
                    for (TaskHandle handle : live.values()) {
                        Thread thread = handle.attachedThread();
                        handle.abandon();
                        abandoned.add(new ShutdownReport.Abandoned(handle.info(),
                                (thread == null) ? new StackTraceElement[0] : thread.getStackTrace()));
                    }
                }
            }
            ShutdownReport report = new ShutdownReport(startedAt, Duration.ofNanos(System.nanoTime() - startNanos),
                    runningAtStart, cancelled, (int) (cleanupsSucceeded.get() - succeededBefore),
                    (int) (cleanupsFailed.get() - failedBefore), (int) (cleanupsTimedOut.get() - timedOutBefore),
                    abandoned, live.size());
            return report;
        } finally {
            shutdownWaiter = null;
            cleanupExecutor.shutdownNow();
        }
    }

    /** Parks until the live table is empty (and no cleanup is pending) or the deadline passes. */
    private boolean awaitEmpty(long deadlineNanos) {
        while (true) {
            if (live.isEmpty() && pendingCleanups.get() == 0) {
                return true;
            }
            long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0) {
                return false;
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
