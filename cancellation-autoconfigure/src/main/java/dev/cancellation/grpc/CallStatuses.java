package dev.cancellation.grpc;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskRejectedException;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * How a cancellation in a service becomes the status of its call, the gRPC counterpart of the web edge's problem
 * details:
 *
 * <table>
 *   <caption>Status by cause</caption>
 *   <tr><th>cause</th><th>status</th></tr>
 *   <tr><td>{@code TaskTimeoutException}, the call's own deadline (its reason is the call token's)</td>
 *       <td>{@code DEADLINE_EXCEEDED}, "call deadline exceeded"</td></tr>
 *   <tr><td>{@code TaskTimeoutException}, a task's own shorter timeout</td>
 *       <td>{@code DEADLINE_EXCEEDED}, "task timed out"</td></tr>
 *   <tr><td>reason {@code REQUESTED} (the client, an operator, application code)</td>
 *       <td>{@code CANCELLED}, "task cancelled"</td></tr>
 *   <tr><td>reason {@code SHUTDOWN}, or {@code TaskRejectedException}</td>
 *       <td>{@code UNAVAILABLE}, "service shutting down" (a client may retry elsewhere)</td></tr>
 * </table>
 *
 * <p>The description names the method and the reason's kind, nothing internal: never the exception's message (it
 * may name a downstream URI with its query string) nor the reason's origin (an operator, an instance); the reason's
 * message only on request ({@code cancellation.grpc.status-include-reason-message}). The exception is the status's
 * cause, which gRPC never sends to the client.
 *
 * <p>Thread-safety: stateless; safe from any thread.
 */
public final class CallStatuses {

    private CallStatuses() {
    }

    /**
     * The cancellation or rejection in {@code failure} or its causes (a future's {@code CompletionException}, a
     * {@code StatusRuntimeException} of a downstream call); {@code null} if there is none.
     */
    public static @Nullable RuntimeException findCancellation(@Nullable Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < 16; depth++) {
            if (current instanceof TaskCancelledException || current instanceof TaskRejectedException) {
                return (RuntimeException) current;
            }
            current = current.getCause();
        }
        return null;
    }

    /**
     * The status for a {@link TaskCancelledException} or {@link TaskRejectedException} that ended a call.
     *
     * @param failure the cancellation or rejection
     * @param method the call's full method name, e.g. {@code prices.Prices/Quote}
     * @param includeReasonMessage whether the reason's message (free text, written by whoever cancelled) goes into
     *        the description
     * @param callToken the call's own token, {@code null} if unknown: a timeout whose reason is this token's is
     *        "call deadline exceeded", any other "task timed out"
     */
    public static Status statusFor(RuntimeException failure, String method, boolean includeReasonMessage,
            @Nullable CancellationToken callToken) {
        if (failure instanceof TaskCancelledException cancelled) {
            CancellationReason reason = cancelled.reason();
            String message = includeReasonMessage ? " (" + reason.message() + ")" : "";
            Status status = switch (reason.kind()) {
                case TIMEOUT -> Status.DEADLINE_EXCEEDED.withDescription(method + ": "
                        + (isCallDeadline(reason, callToken) ? "call deadline exceeded" : "task timed out")
                        + message);
                case SHUTDOWN -> Status.UNAVAILABLE.withDescription(method + ": service shutting down" + message);
                case REQUESTED -> Status.CANCELLED.withDescription(method + ": task cancelled" + message);
            };
            return status.withCause(failure);
        }
        return Status.UNAVAILABLE.withDescription(method + ": service shutting down, task rejected")
                .withCause(failure);
    }

    static boolean isCallDeadline(CancellationReason reason, @Nullable CancellationToken callToken) {
        if (callToken == null || !reason.isTimeout()) {
            return false;
        }
        CancellationReason callReason = callToken.reason().orElse(null);
        return callReason != null && callReason.isTimeout();
    }
}
