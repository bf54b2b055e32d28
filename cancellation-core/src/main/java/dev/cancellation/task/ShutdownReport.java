package dev.cancellation.task;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a {@link TaskRegistry#shutdown registry shutdown} did.
 *
 * @param startedAt when the shutdown started
 * @param took how long it took
 * @param runningAtStart live tasks when it started (before any drain)
 * @param cancelled tasks it cancelled, with a {@code SHUTDOWN} reason, by a drain or its own sweep: every task live
 *     at its start that was so cancelled, whether it exited before the sweep or not, and the tasks the sweep
 *     found (snapshots at cancel time, or at the sweep for tasks a drain cancelled)
 * @param cleanupsSucceeded cleanups that succeeded during the shutdown
 * @param cleanupsFailed cleanups that failed during the shutdown
 * @param cleanupsTimedOut cleanups that exceeded their bound during the shutdown
 * @param abandoned tasks still running at the end, with the stack of their thread
 * @param remaining live tasks at the end (abandoned ones included)
 */
public record ShutdownReport(Instant startedAt, Duration took, int runningAtStart, List<TaskInfo> cancelled,
        int cleanupsSucceeded, int cleanupsFailed, int cleanupsTimedOut, List<Abandoned> abandoned, int remaining) {

    /**
     * A task that did not stop.
     *
     * @param task its snapshot
     * @param stack the stack of its thread when it was abandoned (empty if no thread was attached)
     */
    public record Abandoned(TaskInfo task, StackTraceElement[] stack) {
    }

    static ShutdownReport empty(Instant at) {
        return new ShutdownReport(at, Duration.ZERO, 0, List.of(), 0, 0, 0, List.of(), 0);
    }

    /** Whether every task stopped (nothing abandoned). */
    public boolean clean() {
        return abandoned.isEmpty();
    }

    /** The multi-line report that is logged. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        text.append("Cancellation shutdown report: ").append(runningAtStart).append(" task(s) running, ")
                .append(cancelled.size()).append(" cancelled, ").append(cleanupsSucceeded).append(" cleaned up, ")
                .append(cleanupsFailed).append(" cleanup(s) failed, ").append(cleanupsTimedOut)
                .append(" cleanup(s) timed out, ").append(abandoned.size()).append(" abandoned; took ")
                .append(took.toMillis()).append(" ms");
        for (TaskInfo task : cancelled) {
            text.append(System.lineSeparator()).append("  cancelled ").append(task.name()).append(" [")
                    .append(task.id()).append(']');
        }
        for (Abandoned entry : abandoned) {
            text.append(System.lineSeparator()).append("  ABANDONED ").append(entry.task().name()).append(" [")
                    .append(entry.task().id()).append("] on thread ").append(entry.task().thread());
            for (StackTraceElement frame : entry.stack()) {
                text.append(System.lineSeparator()).append("      at ").append(frame);
            }
        }
        return text.toString();
    }
}
