package dev.cancellation.task;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.InterruptibleSection;
import dev.cancellation.Registration;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs the {@link CleanupAction}s of cancelled tasks on a registry's bounded cleanup executor.
 *
 * <p>Guarantees: every cleanup handed to {@link #run} finishes exactly once, with an outcome reported to the
 * listeners and counted: when its action ends, when its bound (the cleanup timeout) passes, or when it is
 * rejected. Each runs shielded from the task's cancellation, with a token of its own that is cancelled at the
 * bound, when its thread is also interrupted (never after the action has returned). A cleanup is never lost to
 * a saturated executor during shutdown (see {@link #run}); only {@link #stop} fails those still queued.
 *
 * <p>Thread-safety: every method may be called from any thread; {@link #run} never blocks the caller except
 * when it runs the cleanup on the exiting task's own thread. No lock is held while a cleanup or listener runs.
 */
final class CleanupRunner {

    /**
     * What the executor throws when it cannot take a cleanup. Shared and without a stack trace: the JDK's default
     * policy builds a message from the executor's state under its main lock, and during a mass shutdown thousands
     * of exiting threads would take that lock in turn only to learn that the queue is full. {@link #run} wraps it
     * in an exception of its own that names the task (without it as the cause: it is shared).
     */
    private static final RejectedExecutionException FULL = new RejectedExecutionException(
            "cleanup executor saturated or shut down") {
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    };

    private final int threads;
    private final int queueCapacity;
    private final Duration timeout;
    private final ListenerDispatch listeners;
    private final BooleanSupplier admitting;
    private final ThreadPoolExecutor cleanupExecutor;
    private final AtomicLong cleanupsSucceeded = new AtomicLong();
    private final AtomicLong cleanupsFailed = new AtomicLong();
    private final AtomicLong cleanupsTimedOut = new AtomicLong();
    private final AtomicInteger pendingCleanups = new AtomicInteger();
    private final ConcurrentHashMap<TaskHandle, CleanupRun> running = new ConcurrentHashMap<>();

    /**
     * @param threads the cleanup executor's threads
     * @param queueCapacity how many cleanups may wait for a thread
     * @param timeout the bound of each cleanup
     * @param admitting whether the registry still admits tasks (decides what a saturated executor does)
     */
    CleanupRunner(int threads, int queueCapacity, Duration timeout, ListenerDispatch listeners,
            BooleanSupplier admitting) {
        this.threads = threads;
        this.queueCapacity = queueCapacity;
        this.timeout = timeout;
        this.listeners = listeners;
        this.admitting = admitting;
        AtomicInteger threadNumber = new AtomicInteger();
        this.cleanupExecutor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), runnable -> {
                    Thread thread = new Thread(runnable, "cancellation-cleanup-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                }, (runnable, executor) -> {
                    throw FULL;
                });
        this.cleanupExecutor.allowCoreThreadTimeOut(true);
    }

    /** Starts the cleanup threads now, so that a burst of cleanups does not wait for their start. */
    void prestart() {
        cleanupExecutor.prestartAllCoreThreads();
    }

    long succeeded() {
        return cleanupsSucceeded.get();
    }

    long failed() {
        return cleanupsFailed.get();
    }

    long timedOut() {
        return cleanupsTimedOut.get();
    }

    /** The thread running the cleanup of {@code handle}, {@code null} if none is. */
    @Nullable Thread workerOf(TaskHandle handle) {
        CleanupRun run = running.get(handle);
        return (run == null) ? null : run.worker();
    }

    /**
     * Stops the executor; cleanups still queued are failed (one aggregated log line). Running ones keep their
     * bound.
     */
    void stop() {
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
            TaskLog.LOGGER.log(System.Logger.Level.WARNING, () -> notRun.size() + " queued cleanup(s) not run: the "
                    + "registry's shutdown bound passed first: " + String.join(", ",
                            notRun.subList(0, Math.min(notRun.size(), 20)))
                    + (notRun.size() > 20 ? ", ..." : ""));
        }
    }

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
    void run(TaskHandle handle, CleanupAction action, CancellationReason reason, boolean onExitingThread) {
        CleanupRun run = new CleanupRun(handle, handle.info(), action, reason);
        pendingCleanups.incrementAndGet();
        running.put(handle, run);
        try {
            cleanupExecutor.execute(run);
            return;
        } catch (RejectedExecutionException full) { // FULL: shared and empty, so not kept as the cause
            if (cleanupExecutor.isShutdown()) {
                run.finish(CleanupOutcome.FAILED, new RejectedExecutionException("Cleanup of task " + run.info.id()
                        + " (" + run.info.name() + ") rejected: the registry has shut down"));
                return;
            }
            if (admitting.getAsBoolean()) {
                RejectedExecutionException failure = new RejectedExecutionException("Cleanup of task "
                        + run.info.id() + " (" + run.info.name() + ") rejected: the cleanup executor is saturated ("
                        + threads + " threads busy, " + queueCapacity
                        + " queued; see cancellation.cleanup.*)");
                // one line naming the task, without a stack trace: a burst must not flood the log
                TaskLog.LOGGER.log(System.Logger.Level.WARNING, failure.getMessage());
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
            TaskLog.LOGGER.log(System.Logger.Level.WARNING, () -> "Cleanup executor saturated (" + threads
                    + " threads, " + queueCapacity + " queued; see cancellation.cleanup.*): " + since
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
    long overflows() {
        return cleanupOverflows.get();
    }

    /** The number of cleanups queued or running. */
    int pending() {
        return pendingCleanups.get();
    }

    /**
     * One cleanup: finishes exactly once, when the action ends or when its bound passes, whichever is first.
     *
     * <p>The worker thread is interrupted at the bound, but never after {@link #run()} has returned (an
     * {@link InterruptibleSection}), so a pooled cleanup thread never carries a stale interrupt into the next
     * cleanup.
     */
    private final class CleanupRun implements Runnable {

        private final TaskHandle handle;
        private final TaskInfo info;
        private final CleanupAction action;
        private final CancellationReason reason;
        private final AtomicBoolean finished = new AtomicBoolean();
        private final long startNanos = System.nanoTime();
        private volatile @Nullable CancellationSource shield;
        private volatile @Nullable Worker worker;

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
            CancellationSource bound = CancellationSource.withTimeout(timeout);
            shield = bound;
            Worker running = new Worker(Thread.currentThread());
            worker = running;
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
                running.end();
                worker = null;
                Thread.interrupted(); // never leave a pooled cleanup thread interrupted
            }
        }

        private void interruptWorker() {
            Worker running = worker;
            if (running != null) {
                running.interrupt();
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

        /** The thread running this cleanup's action, {@code null} if none is. */
        @Nullable Thread worker() {
            Worker running = worker;
            return (running == null) ? null : running.thread();
        }

        boolean finish(CleanupOutcome outcome, @Nullable Throwable failure) {
            return finish(outcome, failure, true);
        }

        /** Finishes once; {@code log} is false when the caller logs an aggregate instead. */
        boolean finish(CleanupOutcome outcome, @Nullable Throwable failure, boolean log) {
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
                        TaskLog.LOGGER.log(System.Logger.Level.WARNING, "Cleanup of task " + info.id() + " ("
                                + info.name() + ") failed: " + failure, failure);
                    }
                }
                case TIMEOUT -> {
                    cleanupsTimedOut.incrementAndGet();
                    TaskLog.LOGGER.log(System.Logger.Level.WARNING, () -> "Cleanup of task " + info.id() + " ("
                            + info.name() + ") did not finish within " + timeout
                            + "; its token was cancelled, its thread interrupted, and it is no longer waited for");
                }
            }
            pendingCleanups.decrementAndGet();
            listeners.cleanupFinished(info, outcome, duration, failure);
            handle.cleanupFinished();
            return true;
        }
    }

    /** The thread running a cleanup's action, interruptible while it does. */
    private static final class Worker extends InterruptibleSection {

        Worker(Thread thread) {
            super(thread, false);
        }

        Thread thread() {
            return owner();
        }

        void interrupt() {
            interruptOwner();
        }

        void end() {
            leave();
        }
    }
}
