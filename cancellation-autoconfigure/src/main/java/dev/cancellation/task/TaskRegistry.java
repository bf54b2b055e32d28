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
 * <p>Thread-safety: every method may be called from any thread. The live table is a {@link ConcurrentHashMap},
 * the history a lock-free ring ({@code TaskHistory}), ids come from a lock-free keyed generator
 * ({@code TaskIds}); no lock is held while user code or listeners run. Shutdown runs at most once; a concurrent
 * second call waits (bounded) for the first to finish.
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
    private final TaskHistory history;
    private final TaskIds ids = new TaskIds();
    private final List<TaskListener> listeners = new CopyOnWriteArrayList<>();
    private final ThreadPoolExecutor cleanupExecutor;
    private final AtomicLong cleanupsSucceeded = new AtomicLong();
    private final AtomicLong cleanupsFailed = new AtomicLong();
    private final AtomicLong cleanupsTimedOut = new AtomicLong();
    private final AtomicInteger pendingCleanups = new AtomicInteger();
    private final AtomicInteger abandonedLive = new AtomicInteger();
    private final ConcurrentHashMap<TaskHandle, CleanupRun> running = new ConcurrentHashMap<>();
    private volatile boolean admitting = true;
    private volatile Thread shutdownWaiter;
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
        String parentId = (parentTask == null) ? null : parentTask.id();
        TaskHandle handle = new TaskHandle(this, ids.next(), spec, parentId);
        while (live.putIfAbsent(handle.id(), handle) != null) { // a live id clash: practically never
            handle.close();
            handle = new TaskHandle(this, ids.next(), spec, parentId);
        }
        byToken.put(handle.token(), handle);
        TaskHandle started = handle;
        fire(listener -> listener.onStarted(started.info()));
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
        if (id == null) {
            return result;
        }
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
        return history.newestFirst();
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
        abandonedLive.incrementAndGet();
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
        TaskState state = handle.state();
        if (state == TaskState.ABANDONED) {
            abandonedLive.decrementAndGet();
        }
        if (state != TaskState.COMPLETED || !listeners.isEmpty()) { // the common case allocates no snapshot
            TaskInfo info = handle.info();
            if (state != TaskState.COMPLETED) {
                history.add(info);
            }
            fire(listener -> listener.onRemoved(info));
        }
        Thread waiter = shutdownWaiter;
        if (waiter != null) {
            LockSupport.unpark(waiter);
        }
    }

    private void fire(java.util.function.Consumer<TaskListener> event) {
        if (listeners.isEmpty()) {
            return;
        }
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
        CleanupRun run = new CleanupRun(handle, handle.info(), action, reason);
        pendingCleanups.incrementAndGet();
        running.put(handle, run);
        try {
            cleanupExecutor.execute(run);
        } catch (RejectedExecutionException rejected) {
            run.finish(CleanupOutcome.FAILED, new RejectedExecutionException("Cleanup of task " + run.info.id()
                    + " (" + run.info.name() + ") rejected: the cleanup executor is "
                    + (cleanupExecutor.isShutdown() ? "shut down" : "saturated (" + settings.cleanupThreads()
                    + " threads busy, " + settings.cleanupQueueCapacity() + " queued; see cancellation.cleanup.*)"),
                    rejected));
        }
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

        /** The thread running this cleanup's action, or {@code null}. */
        Thread worker() {
            return worker;
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
            running.remove(handle, this);
            Duration duration = Duration.ofNanos(System.nanoTime() - startNanos);
            switch (outcome) {
                case SUCCESS -> cleanupsSucceeded.incrementAndGet();
                case FAILED -> {
                    cleanupsFailed.incrementAndGet();
                    LOGGER.log(System.Logger.Level.WARNING, "Cleanup of task " + info.id() + " (" + info.name()
                            + ") failed: " + failure, failure);
                }
                case TIMEOUT -> {
                    cleanupsTimedOut.incrementAndGet();
                    LOGGER.log(System.Logger.Level.WARNING, () -> "Cleanup of task " + info.id() + " ("
                            + info.name() + ") did not finish within " + settings.cleanupTimeout()
                            + "; its token was cancelled, its thread interrupted, and it is no longer waited for");
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
            for (Runnable queued : cleanupExecutor.shutdownNow()) {
                if (queued instanceof CleanupRun run) { // never started: it will not run now
                    run.finish(CleanupOutcome.FAILED, new RejectedExecutionException("Cleanup of task "
                            + run.info.id() + " (" + run.info.name() + ") not run: the registry shut down first"));
                }
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
            for (TaskHandle handle : live.values()) {
                if (handle.cancel(reason)) {
                    cancelled.add(handle.info());
                }
            }
        }, "cancellation-shutdown");
        sweeper.setDaemon(true);
        sweeper.start();
        try {
            long remaining = deadlineNanos - System.nanoTime();
            if (remaining > 0) {
                sweeper.join(Duration.ofNanos(remaining).toMillis() + 1);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
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
