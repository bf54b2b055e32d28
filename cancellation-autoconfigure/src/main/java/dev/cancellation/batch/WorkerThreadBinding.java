package dev.cancellation.batch;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.listener.ItemProcessListener;
import org.springframework.batch.core.scope.context.StepContext;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;

/**
 * Makes the step's token current while an item is processed on a worker thread of a multi-threaded chunk-oriented
 * step ({@code ChunkOrientedStep} with a task executor): Batch registers the step execution on the worker thread
 * before it calls the processor and its listeners there, so {@code beforeProcess} finds the step's task and
 * {@code afterProcess}/{@code onProcessError} restore what was current. On the step's own thread the token is
 * already current and nothing changes.
 *
 * <p>Thread-safety: the scope opened for an item is kept in a thread-local and closed on the same thread.
 */
final class WorkerThreadBinding implements ItemProcessListener<Object, Object> {

    private final BatchTasks tasks;
    private final ThreadLocal<Cancellation.@Nullable Scope> scope = new ThreadLocal<>();

    WorkerThreadBinding(BatchTasks tasks) {
        this.tasks = tasks;
    }

    @Override
    public void beforeProcess(Object item) {
        StepContext context = StepSynchronizationManager.getContext();
        if (context == null) {
            return;
        }
        CancellationToken token = tasks.stepToken(context.getStepExecution().getId());
        if (token != null && Cancellation.boundTokenOrNull() != token) {
            scope.set(Cancellation.enter(token));
        }
    }

    @Override
    public void afterProcess(Object item, @Nullable Object result) {
        restore();
    }

    @Override
    public void onProcessError(Object item, Exception exception) {
        restore();
    }

    private void restore() {
        Cancellation.Scope opened = scope.get();
        if (opened != null) {
            scope.remove();
            opened.close();
        }
    }
}
