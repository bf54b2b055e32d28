package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The rules of a task's life cycle and of the translation of its outcome, as plain functions of their inputs:
 * which outcome an exit has, what the caller is given to throw, which state follows, and which states may still
 * be left. {@link TaskHandle} applies them with compare-and-set; here they carry no state.
 *
 * <p>Thread-safety: pure functions, callable from any thread.
 */
final class TaskLifecycle {

    /** Durations beyond ~36 years are "never" anyway; capping keeps nanoTime arithmetic from overflowing. */
    static final long LONGEST_NANOS = Long.MAX_VALUE / 8;

    private TaskLifecycle() {
    }

    /**
     * The outcome of an exit with {@code failure} ({@code null}: returned normally) from a task whose token was
     * cancelled with {@code reason} ({@code null}: not cancelled). A failure counts as the cancellation only if
     * we interrupted the task or the failure is how code reacts to cancellation.
     */
    static TaskOutcome outcome(@Nullable Throwable failure, @Nullable CancellationReason reason,
            boolean interruptDelivered) {
        if (failure == null) {
            return TaskOutcome.COMPLETED;
        }
        if (reason != null && (interruptDelivered || causedByCancellation(failure))) {
            return reason.isTimeout() ? TaskOutcome.TIMEOUT : TaskOutcome.CANCELLED;
        }
        return TaskOutcome.FAILED;
    }

    /** Whether the outcome is a stop caused by the cancellation. */
    static boolean stoppedByCancel(TaskOutcome outcome) {
        return outcome == TaskOutcome.CANCELLED || outcome == TaskOutcome.TIMEOUT;
    }

    /**
     * What the caller of a task named {@code name} throws for {@code failure} with {@code outcome}: the failure
     * itself, or, when the task stopped because of the cancellation, a {@link TaskCancelledException} naming the
     * task (a checkpoint's own exception knows the reason but not what was cancelled), caused by what stopped the
     * work (see {@link #stoppedBy}), with the original failure suppressed if that differs.
     */
    static @Nullable Throwable toThrow(@Nullable Throwable failure, TaskOutcome outcome,
            @Nullable CancellationReason reason, String name) {
        if (!stoppedByCancel(outcome)) {
            return failure;
        }
        if (failure instanceof TaskCancelledException cancelled && cancelled.reason() == reason
                && String.valueOf(cancelled.getMessage()).startsWith(name + ": ")) {
            return failure; // already names this task
        }
        TaskCancelledException translated = TaskCancelledException.of(reason, name);
        Throwable stoppedBy = stoppedBy(failure, reason);
        translated.initCause(stoppedBy);
        if (stoppedBy != failure) {
            translated.addSuppressed(failure);
        }
        return translated;
    }

    /** The state a task enters when its code exits with {@code outcome}. */
    static TaskState stateAfterExit(TaskOutcome outcome, boolean hasCleanup) {
        if (stoppedByCancel(outcome) && hasCleanup) {
            return TaskState.CLEANING_UP;
        }
        return switch (outcome) {
            case COMPLETED -> TaskState.COMPLETED;
            case FAILED -> TaskState.FAILED;
            default -> TaskState.CANCELLED;
        };
    }

    /** Whether a task in {@code state} may still be abandoned: only while its code runs. */
    static boolean abandonable(TaskState state) {
        return state == TaskState.RUNNING || state == TaskState.CANCELLING;
    }

    /**
     * The cause for the task's exception: what a {@link TaskCancelledException} of this cancellation in the chain
     * names as having stopped the work (a driver's {@code SQLException} for a statement cancelled on the server),
     * else {@code failure} itself.
     */
    static Throwable stoppedBy(Throwable failure, CancellationReason reason) {
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof TaskCancelledException cancelled && cancelled.reason() == reason
                    && cancelled.getCause() != null) {
                return cancelled.getCause();
            }
        }
        return failure;
    }

    /** Whether {@code failure} is how code reacts to cancellation: a cancel checkpoint or an interrupt. */
    static boolean causedByCancellation(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof TaskCancelledException || cause instanceof InterruptedException
                    || cause instanceof ClosedByInterruptException || cause instanceof InterruptedIOException) {
                return true;
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return false;
    }

    /** {@code duration} in nanoseconds, capped at {@link #LONGEST_NANOS}. */
    static long cappedNanos(Duration duration) {
        try {
            return Math.min(duration.toNanos(), LONGEST_NANOS);
        } catch (ArithmeticException tooLong) {
            return LONGEST_NANOS;
        }
    }
}
