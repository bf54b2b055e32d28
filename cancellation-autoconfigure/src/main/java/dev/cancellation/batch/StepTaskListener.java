package dev.cancellation.batch;

import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.listener.StepExecutionListener;

/**
 * The listener of one step that runs its executions as tasks of {@link BatchTasks}: {@code beforeStep} and
 * {@code afterStep} run on the step's thread, around its chunks, so the step's token is current in between.
 * Knowing its step lets a cancel tell the step's {@code StoppableTasklet} to stop.
 *
 * <p>Thread-safety: stateless; several executions of the step (partitions) may run at once on their own threads.
 */
public final class StepTaskListener implements StepExecutionListener {

    private final BatchTasks tasks;
    private final Step step;

    StepTaskListener(BatchTasks tasks, Step step) {
        this.tasks = Objects.requireNonNull(tasks, "tasks");
        this.step = Objects.requireNonNull(step, "step");
    }

    /** The step whose executions this listener runs as tasks. */
    public Step step() {
        return step;
    }

    @Override
    public void beforeStep(StepExecution stepExecution) {
        tasks.beginStep(stepExecution, step);
    }

    @Override
    public @Nullable ExitStatus afterStep(StepExecution stepExecution) {
        return tasks.endStep(stepExecution);
    }
}
