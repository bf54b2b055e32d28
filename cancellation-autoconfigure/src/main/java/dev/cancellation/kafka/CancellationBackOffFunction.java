package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.messaging.MessageDeadlineException;
import java.util.Optional;
import java.util.function.BiFunction;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.FixedBackOff;

/**
 * The back-off a {@link DefaultErrorHandler} gives a record whose listener invocation was cancelled
 * ({@link DefaultErrorHandler#setBackOffFunction}), so that:
 * <ul>
 *   <li>a {@code SHUTDOWN} cancel (a container stop, a revoked partition, the application's shutdown) is never
 *       recovered: the handler seeks the record back, its offset is not committed and it is redelivered, here or
 *       to the consumer that gets the partition, never dead-lettered;</li>
 *   <li>a {@code REQUESTED} cancel (an operator's) and a {@code TIMEOUT} (the record's deadline, the listener's
 *       timeout) go straight to the recoverer (a dead-letter publisher, or the log), without retries: a stuck
 *       poison record must not come back forever; a malformed deadline header ({@link MessageDeadlineException})
 *       too;</li>
 *   <li>anything else gets {@code null}: the handler's own back-off.</li>
 * </ul>
 * The cancel is found in the exception's causes or, when the body stopped because of a cancel but threw something
 * else (a driver's I/O error), in what the {@link InvocationRecordInterceptor} recorded for the record on the
 * consumer thread. The auto-configured error handler has it; an application's own {@code DefaultErrorHandler} gets
 * it with {@code handler.setBackOffFunction(new CancellationBackOffFunction())}.
 *
 * <p>Thread-safety: stateless; called on the consumer threads.
 */
public class CancellationBackOffFunction implements BiFunction<ConsumerRecord<?, ?>, Exception, @Nullable BackOff> {

    /** Retried until the container stops: the record is sought back, never recovered. */
    private static final BackOff REDELIVER = new FixedBackOff(0L, FixedBackOff.UNLIMITED_ATTEMPTS);

    /** Recovered at once. */
    private static final BackOff NO_RETRIES = new FixedBackOff(0L, 0L);

    @Override
    public @Nullable BackOff apply(ConsumerRecord<?, ?> record, Exception exception) {
        if (findMalformedDeadline(exception)) {
            return NO_RETRIES;
        }
        Optional<TaskCancelledException> cancelled = TaskCancelledException.find(exception)
                .or(() -> Optional.ofNullable(InvocationRecordInterceptor.cancellationOf(record)));
        if (cancelled.isEmpty()) {
            return null;
        }
        return (cancelled.get().reason().kind() == CancellationReason.Kind.SHUTDOWN) ? REDELIVER : NO_RETRIES;
    }

    private static boolean findMalformedDeadline(Throwable exception) {
        Throwable current = exception;
        for (int depth = 0; current != null && depth < 32; depth++, current = current.getCause()) {
            if (current instanceof MessageDeadlineException) {
                return true;
            }
        }
        return false;
    }
}
