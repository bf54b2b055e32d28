package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A registry's shutdown: drain, cancel, wait within a bound, interrupt stragglers, abandon what is left, report.
 *
 * <p>Guarantees: runs at most once; never takes longer than {@code drainTimeout + timeout + lastGrace} plus a
 * small constant, whatever the tasks, their cancel callbacks and cleanups do (the cancel sweep runs on a helper
 * thread and is not waited for past the bound); a later or concurrent call waits for the first one to end within
 * the same bound and returns an empty report. An interrupt of the shutdown thread while it waits does not cut the
 * wait short; it is cleared and restored when the shutdown returns.
 *
 * <p>Thread-safety: {@link #run} may be called from any thread, concurrently; the fields without {@code volatile}
 * are touched only by the one thread that won the run.
 */
final class RegistryShutdown {

    /** How many abandoned tasks get their thread's stack in the report: stacks cost a safepoint each. */
    private static final int MAX_STACKS = 50;

    /** At most this many threads cancel the tasks of a shutdown in parallel; each takes at least the next many. */
    private static final int MAX_SWEEPERS = 4;
    private static final int MIN_TASKS_PER_SWEEPER = 256;

    private final LiveTasks live;
    private final CleanupRunner cleanups;
    private final Escalations escalations;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile long boundNanos;
    /** An interrupt of the shutdown thread while it waited: cleared then, restored when the shutdown returns. */
    private boolean interrupted;

    RegistryShutdown(LiveTasks live, CleanupRunner cleanups, Escalations escalations) {
        this.live = live;
        this.cleanups = cleanups;
        this.escalations = escalations;
    }

    /**
     * See {@link TaskRegistry#shutdown}; {@code drain} and then {@code stopAdmitting} are run once, by the call
     * that performs the shutdown, after it took the live tasks of the report's start.
     *
     * @throws IllegalArgumentException if a duration is negative
     */
    ShutdownReport run(Duration drainTimeout, Duration timeout, boolean interrupt, Duration lastGrace,
            Runnable drain, Runnable stopAdmitting) {
        requireNotNegative(drainTimeout, "drainTimeout");
        requireNotNegative(timeout, "timeout");
        requireNotNegative(lastGrace, "lastGrace");
        long startNanos = System.nanoTime();
        Instant startedAt = Instant.now();
        long bound = saturatedNanos(drainTimeout, timeout, lastGrace);
        if (!started.compareAndSet(false, true)) {
            awaitTermination(Math.max(bound, boundNanos));
            return ShutdownReport.empty(startedAt);
        }
        boundNanos = bound;
        long succeededBefore = cleanups.succeeded();
        long failedBefore = cleanups.failed();
        long timedOutBefore = cleanups.timedOut();
        // The tasks live at the start, held until the report: one the drain cancels may exit before the sweep,
        // and it was cancelled by this shutdown all the same.
        List<TaskHandle> atStart = new ArrayList<>(live.handles());
        int runningAtStart = atStart.size();
        try {
            runDrain(drain);
            stopAdmitting.run();
            live.wakeOnRemoval(Thread.currentThread());
            long drainDeadline = System.nanoTime() + saturatedNanos(drainTimeout);
            boolean drained = !drainTimeout.isZero() && awaitEmpty(drainDeadline);
            List<TaskInfo> cancelled = new ArrayList<>();
            if (!drained && live.size() > 0) {
                // Threads needed once the tasks wake, started while they are still parked: a thread started in a
                // crowd of thousands of runnable ones can take a second to start.
                escalations.prestart();
                cleanups.prestart();
            }
            long cancelDeadline = System.nanoTime() + saturatedNanos(timeout);
            if (!drained) {
                cancelled = cancelAllWithin(CancellationReason.shutdown("application shutdown"), startedAt,
                        cancelDeadline);
            }
            addCancelledBefore(cancelled, atStart, startedAt);
            boolean done = drained || awaitEmpty(cancelDeadline);
            List<ShutdownReport.Abandoned> abandoned = new ArrayList<>();
            if (!done) {
                long graceDeadline = System.nanoTime() + saturatedNanos(lastGrace);
                if (interrupt) {
                    for (TaskHandle handle : live.handles()) {
                        handle.interruptNow();
                    }
                }
                if (!awaitEmpty(graceDeadline)) {
                    abandonRemaining(abandoned);
                }
            }
            return new ShutdownReport(startedAt, Duration.ofNanos(System.nanoTime() - startNanos), runningAtStart,
                    cancelled, (int) (cleanups.succeeded() - succeededBefore),
                    (int) (cleanups.failed() - failedBefore), (int) (cleanups.timedOut() - timedOutBefore),
                    abandoned, live.size());
        } finally {
            live.wakeOnRemoval(null);
            if (interrupted) {
                Thread.currentThread().interrupt(); // the caller's interrupt, kept for it once the bound is kept
            }
            cleanups.stop();
            terminated.countDown();
        }
    }

    private void abandonRemaining(List<ShutdownReport.Abandoned> abandoned) {
        for (TaskHandle handle : live.handles()) {
            Thread thread;
            if (handle.state() == TaskState.CLEANING_UP) {
                thread = cleanups.workerOf(handle);
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
    private List<TaskInfo> cancelAllWithin(CancellationReason reason, Instant since, long deadlineNanos) {
        Queue<TaskInfo> cancelled = new ConcurrentLinkedQueue<>(); // O(1) adds; read by this thread at the bound
        Thread sweeper = new Thread(() -> {
            // A snapshot first: a child cancelled through its parent may exit and leave the table before the
            // sweep reaches it, and it was cancelled by this shutdown all the same (it carries this reason).
            List<TaskHandle> running = new ArrayList<>(live.handles());
            cancelInParallel(running, reason);
            for (TaskHandle handle : running) {
                if (cancelledByShutdown(handle, since)) {
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
                interrupted = true;
            }
        }
        return new ArrayList<>(cancelled);
    }

    /** Runs the caller's drain; a failure of it must not cost the tasks their shutdown. */
    private static void runDrain(Runnable drain) {
        try {
            drain.run();
        } catch (RuntimeException ex) {
            TaskLog.LOGGER.log(System.Logger.Level.WARNING, "Shutdown drain failed; the shutdown goes on", ex);
        }
    }

    /**
     * Adds to {@code cancelled} the tasks live at the start that the shutdown cancelled before its sweep saw them
     * (the drain's, gone or not): the report counts them the same way whether they exited before the sweep or not.
     */
    private static void addCancelledBefore(List<TaskInfo> cancelled, List<TaskHandle> atStart, Instant since) {
        Set<String> listed = new HashSet<>();
        for (TaskInfo info : cancelled) {
            listed.add(info.id());
        }
        for (TaskHandle handle : atStart) {
            if (cancelledByShutdown(handle, since)) {
                TaskInfo info = handle.info();
                if (listed.add(info.id())) {
                    cancelled.add(info);
                }
            }
        }
    }

    /** Whether the task was cancelled with a {@code SHUTDOWN} reason given since the shutdown began. */
    private static boolean cancelledByShutdown(TaskHandle handle, Instant since) {
        CancellationReason reason = handle.token().reason().orElse(null);
        return reason != null && reason.kind() == CancellationReason.Kind.SHUTDOWN && !reason.at().isBefore(since);
    }

    /**
     * Cancels {@code tasks} with one sweeping thread per processor (this one and helpers, up to
     * {@value #MAX_SWEEPERS}), each taking every n-th task: waking a parked thread is a system call that takes tens
     * of microseconds once thousands of woken threads compete for the processors, so one thread alone would make
     * the sweep, not the tasks, the slowest part of a mass shutdown. Returns when all are cancelled.
     */
    private static void cancelInParallel(List<TaskHandle> tasks, CancellationReason reason) {
        int sweepers = Math.max(1, Math.min(MAX_SWEEPERS,
                Math.min(Runtime.getRuntime().availableProcessors(), tasks.size() / MIN_TASKS_PER_SWEEPER)));
        List<Thread> helpers = new ArrayList<>(sweepers - 1);
        for (int first = 1; first < sweepers; first++) {
            int start = first;
            Thread helper = new Thread(() -> cancelSlice(tasks, start, sweepers, reason), "cancellation-shutdown-"
                    + first);
            helper.setDaemon(true);
            helpers.add(helper);
            helper.start();
        }
        cancelSlice(tasks, 0, sweepers, reason);
        for (Thread helper : helpers) {
            try {
                helper.join(); // the caller waits for this sweep within its bound, not past it
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Cancels every {@code step}-th task from {@code first} on. */
    private static void cancelSlice(List<TaskHandle> tasks, int first, int step, CancellationReason reason) {
        for (int i = first; i < tasks.size(); i += step) {
            tasks.get(i).cancel(reason);
        }
    }

    /**
     * Parks until no live task is waited for (abandoned ones no longer are) and no cleanup is pending, or the
     * deadline passes. Woken when the last waited-for task leaves; the 10 ms cap covers cleanups that end without a
     * removal.
     */
    private boolean awaitEmpty(long deadlineNanos) {
        while (true) {
            if (live.noneWaitedFor() && cleanups.pending() == 0) {
                return true;
            }
            long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0) {
                return false;
            }
            if (Thread.interrupted()) { // else every park returns at once: a busy loop until the deadline
                interrupted = true;
            }
            LockSupport.parkNanos(this, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(10)));
        }
    }

    private void awaitTermination(long bound) {
        try {
            if (!terminated.await(bound, TimeUnit.NANOSECONDS)) {
                TaskLog.LOGGER.log(System.Logger.Level.WARNING, "Task registry shutdown still running after its bound");
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
}
