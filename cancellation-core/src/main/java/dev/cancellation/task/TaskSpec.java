package dev.cancellation.task;

import dev.cancellation.CancellationToken;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What to start: a task's name, parent token, timeout, interrupt grace, cleanup and attributes.
 *
 * @param name the task name; not blank
 * @param parent the token the task's token is a child of ({@link CancellationToken#none()} for a root)
 * @param timeout the task's own timeout; {@code null} for none
 * @param interruptAfter the grace between cancel and interrupting the task's thread; {@code null} to never
 *     interrupt
 * @param abandonAfter how long after the interrupt (or after the grace, when never interrupting) a task that still
 *     runs is marked {@link TaskState#ABANDONED}; {@code null} to never abandon it on its own (only a
 *     {@linkplain TaskRegistry#shutdown registry shutdown} then abandons it)
 * @param cleanup run after a cancelled task exits or is abandoned; {@code null} for none
 * @param attributes what identifies this run of the task to an operator (a message's partition and offset, a job's
 *     execution id), shown beside the task but never part of its name, so names stay a bounded set; insertion
 *     order is kept; at most {@value #MAX_ATTRIBUTES} entries
 */
public record TaskSpec(String name, CancellationToken parent, @Nullable Duration timeout,
        @Nullable Duration interruptAfter, @Nullable Duration abandonAfter, @Nullable CleanupAction cleanup,
        Map<String, String> attributes) {

    /** How many attributes a task may carry. */
    public static final int MAX_ATTRIBUTES = 16;

    /**
     * Validates the spec; a {@code null} parent means {@link CancellationToken#none()}, {@code null} attributes
     * none.
     */
    public TaskSpec(String name, @Nullable CancellationToken parent, @Nullable Duration timeout,
            @Nullable Duration interruptAfter, @Nullable Duration abandonAfter, @Nullable CleanupAction cleanup,
            @Nullable Map<String, String> attributes) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("Task name must not be blank");
        }
        requireNotNegative(timeout, "timeout", name);
        requireNotNegative(interruptAfter, "interruptAfter", name);
        requireNotNegative(abandonAfter, "abandonAfter", name);
        this.name = name;
        this.parent = (parent == null) ? CancellationToken.none() : parent;
        this.timeout = timeout;
        this.interruptAfter = interruptAfter;
        this.abandonAfter = abandonAfter;
        this.cleanup = cleanup;
        this.attributes = copyOf(attributes, name);
    }

    /** A spec without attributes; see the canonical constructor. */
    public TaskSpec(String name, @Nullable CancellationToken parent, @Nullable Duration timeout,
            @Nullable Duration interruptAfter, @Nullable Duration abandonAfter, @Nullable CleanupAction cleanup) {
        this(name, parent, timeout, interruptAfter, abandonAfter, cleanup, null);
    }

    /** A spec with the current token as parent, the given timeout, interrupts after 1s, and no cleanup. */
    public static TaskSpec of(String name, @Nullable Duration timeout) {
        return new TaskSpec(name, CancellationToken.current(), timeout, Duration.ofSeconds(1), Duration.ofSeconds(1),
                null);
    }

    /** This spec with another cleanup. */
    public TaskSpec withCleanup(@Nullable CleanupAction action) {
        return new TaskSpec(name, parent, timeout, interruptAfter, abandonAfter, action, attributes);
    }

    /** This spec with another parent. */
    public TaskSpec withParent(@Nullable CancellationToken token) {
        return new TaskSpec(name, token, timeout, interruptAfter, abandonAfter, cleanup, attributes);
    }

    /** This spec with other attributes (replacing these). */
    public TaskSpec withAttributes(@Nullable Map<String, String> newAttributes) {
        return new TaskSpec(name, parent, timeout, interruptAfter, abandonAfter, cleanup, newAttributes);
    }

    private static Map<String, String> copyOf(@Nullable Map<String, String> attributes, String name) {
        if (attributes == null || attributes.isEmpty()) {
            return Map.of();
        }
        if (attributes.size() > MAX_ATTRIBUTES) {
            throw new IllegalArgumentException("Task '" + name + "': at most " + MAX_ATTRIBUTES
                    + " attributes, but got " + attributes.size());
        }
        Map<String, String> copy = new LinkedHashMap<>();
        attributes.forEach((key, value) -> {
            if (key == null || key.isBlank() || value == null) {
                throw new IllegalArgumentException("Task '" + name + "': attribute keys must not be blank and "
                        + "values not null, but got " + key + "=" + value);
            }
            copy.put(key, value);
        });
        return Collections.unmodifiableMap(copy);
    }

    private static void requireNotNegative(@Nullable Duration value, String what, String name) {
        if (value != null && value.isNegative()) {
            throw new IllegalArgumentException("Task '" + name + "': " + what + " must not be negative: " + value);
        }
    }
}
