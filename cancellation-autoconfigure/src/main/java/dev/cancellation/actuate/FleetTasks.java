package dev.cancellation.actuate;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskState;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The tasks of the other instances of a fleet, as the {@link CancellationEndpoint} sees them: an optional bean that
 * a fleet implementation (such as the Redis one in {@code dev.cancellation.cluster}) provides. Without one, the
 * endpoint works on the local registry only.
 *
 * <p>Every method concerns the <em>other</em> live instances; the endpoint handles the local registry itself. A
 * method that cannot reach the fleet throws {@link FleetUnavailableException} (a 503 over HTTP), never an empty
 * answer that would pass for "no such task".
 *
 * <p>Thread-safety: implementations are thread-safe; the endpoint calls them from request threads concurrently.
 */
public interface FleetTasks {

    /** The id of this instance in the fleet, shown as the {@code instance} of its own tasks. */
    String instanceId();

    /**
     * The live tasks the other instances last published (each within its publishing delay).
     *
     * @param name only tasks with this exact name; all without one
     * @param state only tasks in this state; all without one
     */
    List<RemoteTask> list(@Nullable String name, @Nullable TaskState state);

    /**
     * One task of another live instance, as its owner reports it now.
     *
     * @return the task, or empty if every live instance answered that it does not run (or recently ran) it
     */
    Optional<RemoteTask> find(String id);

    /**
     * Asks the instance that runs task {@code id} to cancel it. The owner cancels with {@code reason}'s kind and
     * message and an origin of {@code <reason's origin> via <this instance id>}.
     *
     * @return the task as its owner reports it after the request, or empty if every live instance answered that it
     *     does not run (or recently ran) it
     */
    Optional<RemoteTask> cancel(String id, CancellationReason reason);

    /**
     * Asks every other live instance to cancel its live tasks named {@code name}, as
     * {@link dev.cancellation.task.TaskRegistry#cancelAll(String, CancellationReason, boolean)} does locally.
     *
     * @return the tasks they cancelled, in their state after the request
     */
    List<RemoteTask> cancelAll(String name, CancellationReason reason, boolean interrupt);

    /**
     * A task of another instance.
     *
     * @param instance the id of the instance that runs it
     * @param info the task, as that instance reported it
     */
    record RemoteTask(String instance, TaskInfo info) {
    }
}
