package dev.cancellation.batch;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskRejectedException;
import dev.cancellation.task.TaskSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.step.tasklet.StoppableTasklet;
import org.springframework.batch.core.step.tasklet.TaskletStep;
import org.springframework.boot.convert.DurationStyle;

/**
 * The job and step executions running as tasks of a {@link TaskRegistry}: a job execution is the task
 * {@code batch:<job name>} (a child of the token current where the job was launched, with the deadline of the job
 * parameter {@value #TIMEOUT_PARAMETER} or the default timeout), each of its step executions the child task
 * {@code batch:<job name>/<step name>}, whose token is current on the step's thread from {@code beforeStep} to
 * {@code afterStep}: in its tasklet, reader, processor and writer.
 *
 * <p>A cancel of either task stops the step the Batch way: the step execution is marked terminate-only (and a
 * {@link StoppableTasklet} is told to stop), so the current chunk commits or rolls back and the step and the job end
 * {@code STOPPED}, restartable from the last commit; the reason is added to their exit descriptions. A step that
 * failed because of the cancel (a {@link TaskCancelledException}, or the interrupt of the task's escalation) ends
 * {@code STOPPED} too. A step that ignores the token is escalated as any task (interrupted after the grace, then
 * abandoned).
 *
 * <p>This is the {@link JobExecutionListener} of every job; every step gets a listener of its own from
 * {@link #stepListener(Step)}.
 *
 * <p>Thread-safety: the runs are kept in concurrent maps keyed by execution id; each run is begun and ended on its
 * execution's own thread, and cancelled from any.
 */
public class BatchTasks implements JobExecutionListener {

    /** The job parameter that sets a job execution's own timeout, a duration such as {@code 30s} or {@code PT30S}. */
    public static final String TIMEOUT_PARAMETER = "cancellation.timeout";

    /** The task names' prefix. */
    public static final String NAME_PREFIX = "batch:";

    private static final Log logger = LogFactory.getLog(BatchTasks.class);

    private final TaskRegistry registry;
    private final @Nullable Duration timeout;
    private final @Nullable Duration interruptAfter;
    private final @Nullable Duration abandonAfter;
    private final Map<Long, Run> jobs = new ConcurrentHashMap<>();
    private final Map<Long, Run> steps = new ConcurrentHashMap<>();
    /** Step executions that failed because of the cancel, whose exit code the repository's last write corrects. */
    private final Set<Long> stoppedByCancel = ConcurrentHashMap.newKeySet();
    /** Job executions past {@code afterJob}, whose tasks end after the repository's last save. */
    private final Map<Long, Ending> ending = new ConcurrentHashMap<>();
    /** Running job executions saved through the advised job repository (which calls {@link #afterSave}). */
    private final Set<Long> savedThroughAdvice = ConcurrentHashMap.newKeySet();

    /**
     * Creates the listener.
     *
     * @param registry where the job and step tasks are registered
     * @param timeout the timeout of a job execution without the {@value #TIMEOUT_PARAMETER} parameter, {@code null}
     *     for none
     * @param interruptAfter the grace before the thread of a cancelled step that still runs is interrupted,
     *     {@code null} to never interrupt it
     * @param abandonAfter how long after that the step's task is abandoned, {@code null} for never
     */
    public BatchTasks(TaskRegistry registry, @Nullable Duration timeout, @Nullable Duration interruptAfter,
            @Nullable Duration abandonAfter) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.timeout = timeout;
        this.interruptAfter = interruptAfter;
        this.abandonAfter = abandonAfter;
    }

    /** The listener to register on {@code step}: it runs the step's executions as tasks. */
    public StepTaskListener stepListener(Step step) {
        return new StepTaskListener(this, step);
    }

    /** The token of the running job execution with this id, if it runs as a task here. */
    public Optional<CancellationToken> jobToken(long jobExecutionId) {
        Run run = jobs.get(jobExecutionId);
        return (run == null) ? Optional.empty() : Optional.of(run.handle().token());
    }

    /** The token of the running step execution with this id, {@code null} if it does not run as a task here. */
    @Nullable CancellationToken stepToken(long stepExecutionId) {
        Run run = steps.get(stepExecutionId);
        return (run == null) ? null : run.handle().token();
    }

    /**
     * Cancels the task of the running job execution with this id, and so its steps.
     *
     * @return whether this call cancelled it ({@code false} if it is not running here or already cancelled)
     */
    public boolean cancelJob(long jobExecutionId, CancellationReason reason) {
        Run run = jobs.get(jobExecutionId);
        return run != null && run.handle().cancel(reason);
    }

    /** How many job executions run as tasks. */
    public int runningJobs() {
        return jobs.size();
    }

    // ------------------------------------------------------------------------------------------------- jobs

    @Override
    public void beforeJob(JobExecution execution) {
        String name = NAME_PREFIX + execution.getJobInstance().getJobName();
        Duration jobTimeout = timeoutOf(execution);
        try {
            TaskHandle handle = registry.start(new TaskSpec(name, CancellationToken.current(), jobTimeout, null,
                    null, null));
            jobs.put(execution.getId(), new Run(handle, handle.attach(), null));
        } catch (TaskRejectedException ex) {
            // Shutting down: the step handler stops the job before its first step, the Batch way.
            execution.setStatus(BatchStatus.STOPPING);
        }
    }

    private @Nullable Duration timeoutOf(JobExecution execution) {
        String value = execution.getJobParameters().getString(TIMEOUT_PARAMETER);
        if (value == null || value.isBlank()) {
            return timeout;
        }
        try {
            return DurationStyle.detectAndParse(value.trim());
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("Job parameter " + TIMEOUT_PARAMETER + " must be a duration such as "
                    + "30s or PT30S, but was '" + value + "'", ex);
        }
    }

    @Override
    public void afterJob(JobExecution execution) {
        Run run = jobs.remove(execution.getId());
        if (run == null) {
            return;
        }
        CancellationReason reason = run.handle().token().reason().orElse(null);
        if (reason != null) {
            // The reason first: Batch's own description of a stopped job is JobInterruptedException's class name.
            ExitStatus batchStatus = execution.getExitStatus();
            execution.setExitStatus(new ExitStatus(batchStatus.getExitCode(), describe(reason))
                    .addExitDescription(batchStatus.getExitDescription()));
        }
        Throwable failure = failureOf(execution.getStatus(), execution.getAllFailureExceptions(), reason);
        if (savedThroughAdvice.remove(execution.getId())) {
            // Its repository calls afterSave: the task ends after the save that follows.
            ending.put(execution.getId(), new Ending(run, failure, Thread.currentThread()));
        } else {
            run.end(failure);
        }
    }

    /**
     * Called by the job repository's advice after it saved a job execution. While the job runs, it notes that the
     * execution is saved through the advice, so {@code afterJob} leaves its task to the save that follows; that
     * save, on the job's thread, is the job's last, so the task ends only now. A shutdown waits for the task, so
     * the data source is still open for this save, which records the exit description with the reason.
     */
    void afterSave(JobExecution execution) {
        if (jobs.containsKey(execution.getId())) {
            savedThroughAdvice.add(execution.getId()); // the save right before afterJob: its last one comes too
            return;
        }
        Ending last = ending.get(execution.getId());
        // Only the job's own thread: a JobOperator.stop saving the same execution meanwhile must not end it.
        if (last != null && last.thread() == Thread.currentThread() && ending.remove(execution.getId(), last)) {
            last.run().end(last.failure());
        }
    }

    // ------------------------------------------------------------------------------------------------ steps

    /** Begins the task of a step execution on its thread (called by the step's {@link StepTaskListener}). */
    void beginStep(StepExecution execution, Step step) {
        Run job = jobs.get(execution.getJobExecutionId());
        CancellationToken parent = (job != null) ? job.handle().token() : CancellationToken.current();
        String name = NAME_PREFIX + execution.getJobExecution().getJobInstance().getJobName() + "/"
                + execution.getStepName();
        TaskHandle handle;
        try {
            handle = registry.start(new TaskSpec(name, parent, null, interruptAfter, abandonAfter, null));
        } catch (TaskRejectedException ex) {
            execution.setTerminateOnly(); // shutting down: the step stops before its first chunk
            return;
        }
        TaskAttachment attachment = handle.attach();
        // Registered last: a step whose job is already cancelled is stopped at once, on this thread.
        Registration onCancel = handle.token().onCancel(reason -> stop(execution, step, reason));
        steps.put(execution.getId(), new Run(handle, attachment, onCancel));
    }

    /** The Batch way: the step stops at its next chunk boundary, the chunk in progress commits or rolls back. */
    private static void stop(StepExecution execution, Step step, CancellationReason reason) {
        execution.setTerminateOnly();
        if (step instanceof TaskletStep taskletStep && taskletStep.getTasklet() instanceof StoppableTasklet tasklet) {
            try {
                tasklet.stop(execution);
            } catch (RuntimeException ex) {
                logger.warn("StoppableTasklet of step '" + execution.getStepName() + "' failed to stop on "
                        + reason.describe(), ex);
            }
        }
    }

    /** Ends the task of a step execution on its thread; returns the exit status to add (called by its listener). */
    @Nullable ExitStatus endStep(StepExecution execution) {
        Run run = steps.remove(execution.getId());
        if (run == null) {
            return null;
        }
        CancellationReason reason = run.handle().token().reason().orElse(null);
        ExitStatus added = null;
        if (reason != null) {
            if (execution.getStatus() == BatchStatus.FAILED && causedByCancel(execution.getFailureExceptions())) {
                execution.setStatus(BatchStatus.STOPPED); // stopped because of the cancel: restartable, not failed
                stoppedByCancel.add(execution.getId());
            }
            // The code as it is: only the description is added.
            added = new ExitStatus(execution.getExitStatus().getExitCode(), describe(reason));
        }
        run.end(failureOf(execution.getStatus(), execution.getFailureExceptions(), reason));
        return added;
    }

    /**
     * Called by the job repository's advice before it saves a step execution: the last save of a step that failed
     * because of the cancel gets the exit code {@code STOPPED}. {@code AbstractStep} keeps the exit status in a
     * local variable that {@code afterStep} can add a description to but not lower from {@code FAILED}, and saves
     * it right after.
     */
    void beforeSave(StepExecution execution) {
        if (execution.getStatus() == BatchStatus.STOPPED && execution.getEndTime() != null
                && stoppedByCancel.remove(execution.getId())) {
            execution.setExitStatus(execution.getExitStatus().replaceExitCode(ExitStatus.STOPPED.getExitCode()));
        }
    }

    private static boolean causedByCancel(List<Throwable> failures) {
        for (Throwable failure : failures) {
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                if (cause instanceof TaskCancelledException || cause instanceof InterruptedException) {
                    return true;
                }
                if (cause.getCause() == cause) {
                    break;
                }
            }
        }
        return false;
    }

    /** What the task exits with: a stop because of the cancel makes it {@code CANCELLED}, a failure {@code FAILED}. */
    private static @Nullable Throwable failureOf(BatchStatus status, List<Throwable> failures,
            @Nullable CancellationReason reason) {
        if (reason != null && status == BatchStatus.STOPPED) {
            return TaskCancelledException.of(reason);
        }
        return (status == BatchStatus.FAILED && !failures.isEmpty()) ? failures.get(0) : null;
    }

    private static String describe(CancellationReason reason) {
        return "cancelled: " + reason.describe();
    }

    /** A running execution's task, the attachment of its thread and its cancel hook. */
    private record Run(TaskHandle handle, TaskAttachment attachment, @Nullable Registration onCancel) {

        /** Ends the task on the execution's thread: the hook, the attachment (restores the token), the exit. */
        void end(@Nullable Throwable failure) {
            if (onCancel != null) {
                onCancel.close();
            }
            attachment.close();
            handle.exit(failure);
        }
    }

    /** A job run past {@code afterJob}, and what its task exits with. */
    private record Ending(Run run, @Nullable Throwable failure, Thread thread) {
    }
}
