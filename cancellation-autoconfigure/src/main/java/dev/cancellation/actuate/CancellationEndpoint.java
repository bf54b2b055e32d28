package dev.cancellation.actuate;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.security.Principal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code cancellation} endpoint: lists the running tasks of a {@link TaskRegistry} and cancels them.
 *
 * <p>Reads are allowed by default; cancelling is a write, refused until an operator sets
 * {@code management.endpoint.cancellation.access=unrestricted}. Cancels are made with a
 * {@link CancellationReason.Kind#REQUESTED REQUESTED} reason whose origin names the operator:
 * {@code operator:<principal>} when the request is authenticated, {@code actuator} otherwise.
 *
 * <p>The operations work over every technology (HTTP and JMX). Over HTTP, {@link CancellationEndpointWebExtension}
 * replaces them so that an unknown id is a 404, a bad input a 400 and a {@link FleetUnavailableException} a 503,
 * each a problem detail ({@link EndpointProblems}) whose {@code detail} (and {@code field}) names the input.
 *
 * <p>With a {@link FleetTasks} (the instance is part of a fleet), every task carries its {@code instance}; a task
 * that is not found locally is looked up, and cancelled, on the other live instances; and the list and the
 * cancel-by-name take {@code scope=cluster} to cover every live instance. Without one, {@code instance} is
 * {@code null} and {@code scope=cluster} is a 400.
 *
 * <p>The list answers {@code writable}: whether this endpoint's access allows the cancel operations (as resolved
 * by Boot from {@code management.endpoint.cancellation.access} and {@code management.endpoints.access.*}), so that
 * a client such as the console offers cancel buttons only where they can work. It describes the configuration, not
 * the caller: Spring Security may still refuse a given user.
 *
 * <p>Thread-safety: stateless apart from the registry, which is thread-safe; operations may run concurrently.
 */
@Endpoint(id = "cancellation", defaultAccess = Access.READ_ONLY)
public class CancellationEndpoint {

    /** How deep the children tree of {@link #task(String)} goes; task trees deeper than this are cut. */
    static final int MAX_TREE_DEPTH = 32;

    /** How much of a bad request value an error message repeats. */
    static final int MAX_ECHOED_LENGTH = 64;

    /** The {@code scope} value that covers every live instance of the fleet. */
    public static final String SCOPE_CLUSTER = "cluster";

    /** The {@code scope} value (and the default) that covers this instance only. */
    public static final String SCOPE_LOCAL = "local";

    private final TaskRegistry registry;

    private final @Nullable FleetTasks fleet;

    private final @Nullable String instance;

    private final boolean writable;

    /** An endpoint over {@code registry}, for a single instance, that reports itself read-only. */
    public CancellationEndpoint(TaskRegistry registry) {
        this(registry, null);
    }

    /**
     * An endpoint over {@code registry} and, when {@code fleet} is not {@code null}, the other instances, that
     * reports itself read-only.
     */
    public CancellationEndpoint(TaskRegistry registry, @Nullable FleetTasks fleet) {
        this(registry, fleet, false);
    }

    /**
     * An endpoint over {@code registry} and, when {@code fleet} is not {@code null}, the other instances.
     *
     * @param writable whether the endpoint's access allows its write operations (reported as {@code writable} in
     *     the list; it enforces nothing: Boot maps or refuses the operations by the same access)
     */
    public CancellationEndpoint(TaskRegistry registry, @Nullable FleetTasks fleet, boolean writable) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.fleet = fleet;
        this.instance = (fleet != null) ? fleet.instanceId() : null;
        this.writable = writable;
    }

    /** The live tasks and the recent history of this instance, optionally filtered. */
    public TasksDescriptor tasks(@Nullable String name, @Nullable String state) {
        return tasks(name, state, null);
    }

    /**
     * The live tasks and the recent history, optionally filtered.
     *
     * @param name only tasks with this exact name; all without one
     * @param state only tasks in this state (case-insensitive, e.g. {@code cancelling}); all without one
     * @param scope {@code local} (the default) for this instance; {@code cluster} to add the live tasks that the
     *     other live instances of the fleet published (the history stays this instance's)
     * @throws InvalidEndpointRequestException (a 400 over HTTP) if {@code state} names no {@link TaskState}, or
     *     {@code scope} is unknown or {@code cluster} without a fleet
     * @throws FleetUnavailableException (a 503 over HTTP) if {@code scope=cluster} and the fleet is unreachable
     */
    @ReadOperation
    public TasksDescriptor tasks(@Nullable String name, @Nullable String state, @Nullable String scope) {
        TaskState wanted = parseState(state);
        FleetTasks remote = parseScope(scope);
        String wantedName = (name == null || name.isBlank()) ? null : name;
        List<TaskInfo> live = new ArrayList<>(registry.list(wantedName, wanted));
        List<TaskDescriptor> tasks = new ArrayList<>(
                live.stream().map(info -> TaskDescriptor.of(info, null, instance)).toList());
        if (remote != null) {
            for (FleetTasks.RemoteTask task : remote.list(wantedName, wanted)) {
                live.add(task.info());
                tasks.add(TaskDescriptor.of(task.info(), null, task.instance()));
            }
        }
        List<TaskDescriptor> history = registry.history().stream()
                .filter(info -> wantedName == null || wantedName.equals(info.name()))
                .filter(info -> wanted == null || info.state() == wanted)
                .map(info -> TaskDescriptor.of(info, null, instance))
                .toList();
        return new TasksDescriptor(SummaryDescriptor.of(live), tasks, history, writable);
    }

    /**
     * One task, live or from the history, with the tree of live tasks started from it.
     *
     * In a fleet, a task that this instance does not know is asked for on the other live instances (shown without
     * its children).
     *
     * @return the task, or {@code null} (a 404 over HTTP) if no live or recent task has this id (on any live
     *     instance of the fleet)
     * @throws FleetUnavailableException (a 503 over HTTP) if the task is not local and the fleet is unreachable
     */
    @ReadOperation
    public @Nullable TaskDescriptor task(@Selector String id) {
        Optional<TaskDescriptor> local = registry.findIncludingHistory(id).map(info -> withChildren(info, 0));
        if (local.isPresent() || fleet == null) {
            return local.orElse(null);
        }
        return fleet.find(id).map(task -> TaskDescriptor.of(task.info(), null, task.instance())).orElse(null);
    }

    /**
     * Cancels one live task, and so the tasks started from it. Idempotent: cancelling a task that is already
     * cancelled (or has finished and is still in the history) changes nothing and returns its state.
     *
     * In a fleet, a task that this instance does not know is cancelled by the live instance that runs it.
     *
     * @return the task's state after the request, or {@code null} if no live or recent task has this id (on any
     *     live instance of the fleet)
     * @throws FleetUnavailableException (a 503 over HTTP) if the task is not local and the fleet is unreachable
     */
    @DeleteOperation
    public @Nullable TaskDescriptor cancel(@Selector String id, SecurityContext securityContext) {
        CancellationReason reason = CancellationReason.requested("cancelled by an operator through the actuator",
                origin(securityContext));
        Optional<TaskDescriptor> local = registry.cancel(id, reason).or(() -> registry.findIncludingHistory(id))
                .map(info -> TaskDescriptor.of(info, null, instance));
        if (local.isPresent() || fleet == null) {
            return local.orElse(null);
        }
        return fleet.cancel(id, reason).map(task -> TaskDescriptor.of(task.info(), null, task.instance()))
                .orElse(null);
    }

    /** Cancels every live task of this instance named {@code name}. */
    public CancelledTasksDescriptor cancelAll(String name, @Nullable Boolean interrupt,
            SecurityContext securityContext) {
        return cancelAll(name, interrupt, null, securityContext);
    }

    /**
     * Cancels every live task named {@code name}.
     *
     * @param name the task name; a blank name is rejected (never "everything")
     * @param interrupt {@code true} to also interrupt the tasks' threads at once instead of after their grace
     *     period; {@code null} means {@code false}
     * @param scope {@code local} (the default) for this instance, {@code cluster} for every live instance
     * @throws InvalidEndpointRequestException (a 400 over HTTP) if {@code name} is blank, or {@code scope} is
     *     unknown or {@code cluster} without a fleet
     * @throws FleetUnavailableException (a 503 over HTTP) if {@code scope=cluster} and the fleet is unreachable
     */
    @WriteOperation
    public CancelledTasksDescriptor cancelAll(String name, @Nullable Boolean interrupt, @Nullable String scope,
            SecurityContext securityContext) {
        if (name == null || name.isBlank()) {
            throw new InvalidInputException("name", "Field 'name' is required and must not be blank: the name of the "
                    + "tasks to cancel (this operation never cancels everything)");
        }
        FleetTasks remote = parseScope(scope);
        boolean interruptNow = Boolean.TRUE.equals(interrupt);
        CancellationReason reason = CancellationReason.requested(
                "cancelled by an operator through the actuator", origin(securityContext));
        List<TaskDescriptor> tasks = new ArrayList<>(registry.cancelAll(name, reason, interruptNow).stream()
                .map(info -> TaskDescriptor.of(info, null, instance)).toList());
        if (remote != null) {
            for (FleetTasks.RemoteTask task : remote.cancelAll(name, reason, interruptNow)) {
                tasks.add(TaskDescriptor.of(task.info(), null, task.instance()));
            }
        }
        return new CancelledTasksDescriptor(name, interruptNow, tasks);
    }

    /** The fleet for {@code scope=cluster}, {@code null} for the local scope. */
    private @Nullable FleetTasks parseScope(@Nullable String scope) {
        if (scope == null || scope.isBlank() || SCOPE_LOCAL.equalsIgnoreCase(scope.trim())) {
            return null;
        }
        if (!SCOPE_CLUSTER.equalsIgnoreCase(scope.trim())) {
            throw new InvalidInputException("scope", "Unknown scope '" + abbreviate(scope)
                    + "'; expected local or cluster");
        }
        if (fleet == null) {
            throw new InvalidInputException("scope", "scope=cluster needs a fleet: set "
                    + "cancellation.cluster.enabled=true with a Redis connection (spring.data.redis.*)");
        }
        return fleet;
    }

    /** {@code operator:<principal name>} for an authenticated request, {@code actuator} otherwise. */
    static String origin(@Nullable SecurityContext securityContext) {
        Principal principal = (securityContext != null) ? securityContext.getPrincipal() : null;
        String name = (principal != null) ? principal.getName() : null;
        return (name == null || name.isBlank()) ? "actuator" : "operator:" + name;
    }

    private TaskDescriptor withChildren(TaskInfo info, int depth) {
        List<TaskDescriptor> children = new ArrayList<>();
        if (depth < MAX_TREE_DEPTH) {
            for (TaskInfo child : registry.children(info.id())) {
                children.add(withChildren(child, depth + 1));
            }
        }
        return TaskDescriptor.of(info, children, instance);
    }

    private static @Nullable TaskState parseState(@Nullable String state) {
        if (state == null || state.isBlank()) {
            return null;
        }
        try {
            return TaskState.valueOf(state.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            String known = Arrays.stream(TaskState.values()).map(Enum::name).collect(Collectors.joining(", "));
            // the reason is what an HTTP client sees: it names the value too, cut to keep responses small
            throw new InvalidInputException("state", "Unknown task state '" + abbreviate(state)
                    + "'; expected one of " + known);
        }
    }

    /** {@code value}, cut to {@value #MAX_ECHOED_LENGTH} characters, for echoing in an error. */
    static String abbreviate(String value) {
        return (value.length() <= MAX_ECHOED_LENGTH) ? value : value.substring(0, MAX_ECHOED_LENGTH) + "...";
    }

    // ------------------------------------------------------------------------------------------ descriptors

    /**
     * The response of the list operation.
     *
     * @param summary counts of the listed live tasks
     * @param tasks the live tasks, oldest first
     * @param history recently finished cancelled, failed and abandoned tasks, newest first
     * @param writable whether the endpoint's access allows cancelling (its write operations)
     */
    public record TasksDescriptor(SummaryDescriptor summary, List<TaskDescriptor> tasks,
            List<TaskDescriptor> history, boolean writable) implements OperationResponseBody {

        /** A list answer of a read-only endpoint. */
        public TasksDescriptor(SummaryDescriptor summary, List<TaskDescriptor> tasks, List<TaskDescriptor> history) {
            this(summary, tasks, history, false);
        }
    }

    /**
     * Counts of live tasks.
     *
     * @param total how many
     * @param byState how many in each state (only states that occur), by state name
     * @param byName how many with each name, by name
     */
    public record SummaryDescriptor(int total, Map<String, Integer> byState, Map<String, Integer> byName) {

        static SummaryDescriptor of(List<TaskInfo> tasks) {
            Map<String, Integer> byState = new TreeMap<>();
            Map<String, Integer> byName = new TreeMap<>();
            for (TaskInfo info : tasks) {
                byState.merge(info.state().name(), 1, Integer::sum);
                byName.merge(info.name(), 1, Integer::sum);
            }
            return new SummaryDescriptor(tasks.size(), byState, byName);
        }
    }

    /**
     * One task.
     *
     * @param id the task id
     * @param name the task name
     * @param state its state
     * @param startedAt when it started
     * @param deadline its effective deadline (its own or an ancestor's), if it has one
     * @param elapsed milliseconds since it started (until it finished, for a finished task)
     * @param parentId the id of the task it was started from; none for a top-level task
     * @param thread the name of the thread running its code; none while no thread is attached
     * @param reason why it was cancelled, if it was
     * @param finishedAt when it finished; none while live
     * @param children the live tasks started from it; none where not shown (in lists, and for a task of
     *     another instance)
     * @param instance the fleet instance that runs it; none outside a fleet
     * @param attributes what identifies this run (a message's partition and offset, a job's execution id); none
     *     when it has none
     */
    public record TaskDescriptor(String id, String name, TaskState state, Instant startedAt,
            @Nullable Instant deadline, long elapsed, @Nullable String parentId, @Nullable String thread,
            @Nullable ReasonDescriptor reason, @Nullable Instant finishedAt,
            @Nullable List<TaskDescriptor> children, @Nullable String instance,
            @Nullable Map<String, String> attributes) implements OperationResponseBody {

        static TaskDescriptor of(TaskInfo info, @Nullable List<TaskDescriptor> children) {
            return of(info, children, null);
        }

        static TaskDescriptor of(TaskInfo info, @Nullable List<TaskDescriptor> children, @Nullable String instance) {
            return new TaskDescriptor(info.id(), info.name(), info.state(), info.startedAt(), info.deadline(),
                    info.elapsed().toMillis(), info.parentId(), info.thread(), ReasonDescriptor.of(info.reason()),
                    info.finishedAt(), children, instance, info.attributes().isEmpty() ? null : info.attributes());
        }
    }

    /**
     * Why a task was cancelled.
     *
     * @param kind {@code REQUESTED}, {@code TIMEOUT} or {@code SHUTDOWN}
     * @param message a human-readable description
     * @param at when the cancel was requested
     * @param origin who cancelled it (e.g. {@code operator:alice}, {@code deadline})
     */
    public record ReasonDescriptor(CancellationReason.Kind kind, String message, Instant at, String origin) {

        static @Nullable ReasonDescriptor of(@Nullable CancellationReason reason) {
            return (reason == null) ? null
                    : new ReasonDescriptor(reason.kind(), reason.message(), reason.at(), reason.origin());
        }
    }

    /**
     * The response of the cancel-by-name operation.
     *
     * @param name the name the tasks were selected by
     * @param interrupt whether their threads were interrupted at once
     * @param tasks the cancelled tasks, in their state after the request
     */
    public record CancelledTasksDescriptor(String name, boolean interrupt, List<TaskDescriptor> tasks)
            implements OperationResponseBody {
    }
}
