package dev.cancellation.batch;

import dev.cancellation.CancellationReason;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.JobExecution;

/**
 * The advice of {@code JobOperator.stop(executionId)} and {@code stop(JobExecution)}: lets Batch's own stop run
 * (status {@code STOPPING} in the repository, {@code StoppableStep}s told to stop), then cancels the job's task with
 * reason {@code REQUESTED} (origin {@code JobOperator.stop}), even if Batch's stop failed.
 *
 * <p>Thread-safety: stateless; called from any thread.
 */
final class StopCancelsTask implements MethodInterceptor {

    private final Supplier<BatchTasks> tasks;

    StopCancelsTask(Supplier<BatchTasks> tasks) {
        this.tasks = tasks;
    }

    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
        Object[] arguments = invocation.getArguments();
        Long id = (arguments.length != 1) ? null
                : (arguments[0] instanceof Long executionId) ? executionId
                : (arguments[0] instanceof JobExecution execution) ? execution.getId() : null;
        try {
            return invocation.proceed();
        } finally {
            // After Batch's own stop has written STOPPING: the job's thread, woken by the cancel, then finds it in
            // the repository instead of racing the operator's writes to the same execution (optimistic lock).
            if (id != null) {
                tasks.get().cancelJob(id, CancellationReason.requested("stopped through the JobOperator",
                        "JobOperator.stop"));
            }
        }
    }
}
