/**
 * The task registry: every running task, listable and cancellable by operators, escalated when it does not stop,
 * cleaned up after cancellation, and stopped within a bound at shutdown. Built on the token model
 * ({@code dev.cancellation}) and the JDK alone.
 *
 * <p>The parts, bottom-up: each layer uses only the layers before it. The public types (API) are the whole
 * contract; the others are package-private (internal).
 *
 * <h2>What a task is</h2>
 * <ul>
 *   <li>{@link dev.cancellation.task.TaskState}, {@link dev.cancellation.task.TaskOutcome},
 *       {@link dev.cancellation.task.CleanupOutcome} (API): where a task is, how its code exited, how its cleanup
 *       ended.</li>
 *   <li>{@link dev.cancellation.task.TaskInfo} (API): an immutable snapshot of a task;
 *       {@link dev.cancellation.task.ShutdownReport} (API): what a shutdown did.</li>
 *   <li>{@link dev.cancellation.task.CleanupAction} (API): the cleanup run after a cancelled task;
 *       {@link dev.cancellation.task.TaskSpec} (API): what to start (name, parent, timeout, escalation,
 *       cleanup).</li>
 *   <li>{@link dev.cancellation.task.TaskListener} (API): the hook for task events;
 *       {@link dev.cancellation.task.TaskRejectedException} (API): a start refused during shutdown.</li>
 *   <li>{@code TaskLifecycle} (internal): the rules of a task's life cycle and outcome, as pure functions.</li>
 *   <li>{@code TaskIds} (internal): unguessable task ids; {@code TaskHistory} (internal): the bounded ring of
 *       finished tasks; {@code TaskLog} (internal): the logger of the registry and its parts.</li>
 * </ul>
 *
 * <h2>The handle</h2>
 * One unit: the handle, its id base, its escalation steps and its attachment refer to each other.
 * <ul>
 *   <li>{@code IdentifiedTask} (internal): the base class of the handle that reveals its id on first use.</li>
 *   <li>{@code EscalationSteps} (internal): the due times of a cancelled task's interrupt and abandon steps.</li>
 *   <li>{@link dev.cancellation.task.TaskHandle} (API): a live task; its nested {@code Events} (internal) is what
 *       it reports to the registry's parts, declared by the handle so that the parts build on it.</li>
 *   <li>{@link dev.cancellation.task.TaskAttachment} (API): the thread running a task's code, interruptible by
 *       escalation while attached.</li>
 * </ul>
 *
 * <h2>The registry's parts (internal)</h2>
 * One job each; they build on the handle and never call the registry.
 * <ul>
 *   <li>{@code ListenerDispatch}: the fan-out of events to the listeners that handle them.</li>
 *   <li>{@code Escalations}: the sweeper thread that performs escalation steps.</li>
 *   <li>{@code CleanupRunner}: the bounded executor of cleanups, each shielded and bounded.</li>
 *   <li>{@code LiveTasks} and {@code TaskFrames}: the live tasks, in the table and in the per-thread frames of
 *       tasks run synchronously. A frame materializes into the table when observed, and the table's queries
 *       materialize frames first, so these two refer to each other.</li>
 *   <li>{@code TaskEvents}: the registry's side of {@code TaskHandle.Events}, routing each event to its part.</li>
 *   <li>{@code TaskAdmission}: the door (admitting or not) and the start of a task with a handle.</li>
 *   <li>{@code SynchronousTasks}: the tasks run on the calling thread, between {@code begin} and {@code end}.</li>
 *   <li>{@code RegistryShutdown}: drain, cancel, wait, interrupt, abandon, report.</li>
 * </ul>
 *
 * <h2>The facade</h2>
 * {@link dev.cancellation.task.TaskRegistry} (API): wires the parts, once, and is the way in.
 *
 * <p>Nullness: every type in this package is non-null unless annotated {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cancellation.task;

import org.jspecify.annotations.NullMarked;
