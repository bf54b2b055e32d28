package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of a task, taken when asked for.
 *
 * @param id unique, hard-to-guess id
 * @param name the task name (e.g. {@code ReportService.render})
 * @param state the state at snapshot time
 * @param parentId the id of the task this one was started from; {@code null} for a top-level task
 * @param startedAt when the task was registered
 * @param deadline the task's effective deadline (its own or an ancestor's); {@code null} if it has none
 * @param elapsed time since {@code startedAt} (until {@code finishedAt} once finished)
 * @param reason why it was cancelled; {@code null} if it was not
 * @param thread the name of the thread running its code; {@code null} if none is attached (queued, or waiting on
 *     a future)
 * @param finishedAt when it reached a terminal state; {@code null} while live
 * @param attributes the {@linkplain TaskSpec#attributes() attributes} it was started with; empty for none
 */
public record TaskInfo(String id, String name, TaskState state, @Nullable String parentId, Instant startedAt,
        @Nullable Instant deadline, Duration elapsed, @Nullable CancellationReason reason, @Nullable String thread,
        @Nullable Instant finishedAt, Map<String, String> attributes) {

    /** A {@code null} {@code attributes} means none. */
    public TaskInfo {
        attributes = (attributes == null) ? Map.of() : attributes;
    }

    /** A snapshot of a task without attributes. */
    public TaskInfo(String id, String name, TaskState state, @Nullable String parentId, Instant startedAt,
            @Nullable Instant deadline, Duration elapsed, @Nullable CancellationReason reason, @Nullable String thread,
            @Nullable Instant finishedAt) {
        this(id, name, state, parentId, startedAt, deadline, elapsed, reason, thread, finishedAt, Map.of());
    }
}
