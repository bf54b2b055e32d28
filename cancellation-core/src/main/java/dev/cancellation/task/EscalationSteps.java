package dev.cancellation.task;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The escalation of a cancelled task that does not stop: its thread is interrupted {@code interruptAfter} after
 * the cancel request, and the task is abandoned {@code abandonAfter} after the interrupt (after the request, when
 * it has no interrupt step); either step may be absent (see {@link TaskSpec}). Made when a task's cancellation is
 * requested and its spec has a step, so a task that is never cancelled carries none. The registry's escalation
 * sweeper ({@code Escalations}) performs the steps through {@link TaskHandle#escalate(long)}; the task's own state
 * changes stay with the task ({@link TaskHandle#interruptNow()}, {@link TaskHandle#abandon()}).
 *
 * <p>Thread-safety: the due times are written by the constructor, before the task is handed to the sweeper (whose
 * queue publishes them), and from then on read and written by the sweeper thread only.
 */
final class EscalationSteps {

    /** A due time that means no step is left: {@link TaskHandle#escalate(long)} returns it when the task is done. */
    static final long DONE = Long.MIN_VALUE;

    /** When the steps are due, in {@link System#nanoTime()}; {@link #DONE} for none (left). */
    private long interruptAtNanos;
    private long abandonAtNanos;

    private EscalationSteps(long interruptAtNanos, long abandonAtNanos) {
        this.interruptAtNanos = interruptAtNanos;
        this.abandonAtNanos = abandonAtNanos;
    }

    /**
     * The steps of {@code spec} for a cancellation requested at {@code requestedNanos}, or {@code null} when it has
     * none (the task is waited for, until shutdown).
     */
    static @Nullable EscalationSteps of(TaskSpec spec, long requestedNanos) {
        Duration interruptAfter = spec.interruptAfter();
        Duration abandonAfter = spec.abandonAfter();
        if (interruptAfter == null && abandonAfter == null) {
            return null;
        }
        long interruptStep = (interruptAfter != null) ? TaskLifecycle.cappedNanos(interruptAfter) : 0;
        return new EscalationSteps(
                (interruptAfter != null) ? requestedNanos + interruptStep : DONE,
                (abandonAfter != null) ? requestedNanos + interruptStep + TaskLifecycle.cappedNanos(abandonAfter)
                        : DONE);
    }

    /** When the first step is due. */
    long firstDueNanos() {
        return (interruptAtNanos != DONE) ? interruptAtNanos : abandonAtNanos;
    }

    /**
     * Performs on {@code task} the steps due at {@code now}, each once. Returns when the next step is due, or
     * {@link #DONE} when there is none left.
     */
    long perform(TaskHandle task, long now) {
        if (interruptAtNanos != DONE && now - interruptAtNanos >= 0) {
            interruptAtNanos = DONE;
            task.interruptNow();
        }
        if (abandonAtNanos != DONE && now - abandonAtNanos >= 0) {
            abandonAtNanos = DONE;
            task.abandon();
            return DONE;
        }
        if (interruptAtNanos != DONE) {
            return interruptAtNanos; // comes first: the abandon step is at least as late
        }
        return abandonAtNanos;
    }
}
