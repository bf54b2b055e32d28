package dev.cancellation.task;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * Cleanup run after a task was cancelled and has exited (or was abandoned): what {@code @OnCancel} methods
 * become. Runs on the registry's cleanup executor with its own shielded {@code token}, bound by the cleanup
 * timeout.
 */
@FunctionalInterface
public interface CleanupAction {

    /**
     * Cleans up after a cancelled task.
     *
     * @param task the task, as it was when its code exited
     * @param reason why it was cancelled
     * @param token the cleanup's own token, cancelled when the cleanup bound passes (also current while this runs)
     * @return {@code null} when done, else a stage that the registry awaits (within the bound)
     * @throws Exception a failure, logged and counted against the task
     */
    @Nullable CompletionStage<?> cleanUp(TaskInfo task, CancellationReason reason, CancellationToken token)
            throws Exception;
}
