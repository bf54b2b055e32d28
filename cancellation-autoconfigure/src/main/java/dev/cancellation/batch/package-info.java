/**
 * The Spring Batch edge: each job execution is a registered task ({@code batch:<job>}), each step execution its
 * child ({@code batch:<job>/<step>}) whose token is current in the step's tasklet, reader, processor and writer;
 * a cancel stops the job the Batch way (the step is marked terminate-only, the current chunk commits or rolls
 * back, step and job end {@code STOPPED} and can be restarted).
 *
 * <p>API: {@link BatchTasks}, the job and step listener that keeps the runs, and {@link BatchTaskPostProcessor},
 * which registers it on every job and step bean, shields the job repository's bookkeeping from the current
 * token and makes {@code JobOperator.stop} cancel the job's task. Internal: one step's listener, the two
 * method interceptors.
 *
 * <p>It plugs into Spring Batch through its own extension points ({@code JobExecutionListener},
 * {@code StepExecutionListener}, {@code StoppableTasklet}, the {@code JobOperator} and {@code JobRepository}
 * interfaces), never by copying a step implementation. Depends on the core only, never on another edge. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationBatchAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.batch;

import org.jspecify.annotations.NullMarked;
