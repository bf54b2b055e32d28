package dev.cancellation.batch;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.step.StepExecution;

/**
 * The advice of every {@code JobRepository} method: runs it with no token current and restores the token
 * afterwards. Batch's bookkeeping is not the step's work: its writes must land even when the step's token is
 * cancelled (that is how the stop gets recorded), so the SQL edge must not see that token on them. Before a step
 * execution is saved, {@link BatchTasks#beforeSave} may correct its exit code; after a job execution is saved,
 * {@link BatchTasks#afterSave} may end its task.
 *
 * <p>Thread-safety: stateless; the binding it changes is the calling thread's own.
 */
final class UnboundBookkeeping implements MethodInterceptor {

    private final Supplier<BatchTasks> tasks;

    UnboundBookkeeping(Supplier<BatchTasks> tasks) {
        this.tasks = tasks;
    }

    @Override
    public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
        Object[] arguments = invocation.getArguments();
        boolean update = arguments.length == 1 && invocation.getMethod().getName().equals("update");
        if (update && arguments[0] instanceof StepExecution step) {
            tasks.get().beforeSave(step);
        }
        CancellationToken bound = Cancellation.boundTokenOrNull();
        try {
            if (bound == null) {
                return invocation.proceed();
            }
            Cancellation.restore(null);
            try {
                return invocation.proceed();
            } finally {
                Cancellation.restore(bound);
            }
        } finally {
            if (update && arguments[0] instanceof JobExecution job) {
                tasks.get().afterSave(job);
            }
        }
    }
}
