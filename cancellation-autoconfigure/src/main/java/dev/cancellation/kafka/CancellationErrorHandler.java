package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.messaging.MessageDeadlineException;
import java.util.Objects;
import java.util.Optional;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.support.KafkaUtils;
import org.springframework.util.backoff.BackOff;
import org.springframework.util.backoff.FixedBackOff;

/**
 * A {@link DefaultErrorHandler} that knows cancelled listener invocations, of records and of batches:
 * <ul>
 *   <li>records: the {@link CancellationBackOffFunction} is set as its back-off function (a {@code SHUTDOWN}
 *       cancel is sought back and redelivered, never recovered; {@code REQUESTED}, {@code TIMEOUT} and a malformed
 *       deadline header go to the recoverer without retries);</li>
 *   <li>batches ({@link InvocationBatchInterceptor}): a batch whose invocation was cancelled with {@code SHUTDOWN}
 *       (a container stop, a revoked partition, the application's shutdown) is sought back to its first offset on
 *       every partition and not committed, so it is redelivered whole, here or to the partition's next owner; one
 *       cancelled with {@code REQUESTED} or {@code TIMEOUT}, or refused for its deadlines, goes to the recoverer
 *       record by record, without retries (a stuck poison batch must not come back forever), and is committed;
 *       any other failure gets the handler's own batch handling (retries with its back-off, then the
 *       recoverer).</li>
 * </ul>
 * The cancel is found in the exception's causes or in what the interceptor recorded on the consumer thread (the
 * body stopped because of the cancel but threw something else, a driver's interrupted I/O). A plain
 * {@code DefaultErrorHandler} asks its back-off function about a failed batch with the batch's first record only
 * and retries the batch in place; this class recognises a batch's cancel also when the body threw something else,
 * and seeks a {@code SHUTDOWN} batch back at once instead of retrying it. The auto-configured error handler is one;
 * an application that defines its own and has batch listeners uses this class instead of
 * {@code DefaultErrorHandler}. Calling {@code setBackOffFunction} replaces the record half.
 *
 * <p>Thread-safety: as {@link DefaultErrorHandler}: called on the consumer threads.
 */
public class CancellationErrorHandler extends DefaultErrorHandler {

    private static final Log logger = LogFactory.getLog(CancellationErrorHandler.class);

    private final ConsumerRecordRecoverer recoverer;

    /** As {@code new DefaultErrorHandler()}: 9 retries without delay, then the failed record is logged. */
    public CancellationErrorHandler() {
        this((record, exception) -> logger.error("Listener failed for " + KafkaUtils.format(record)
                + " and its retries are exhausted or it is not retryable", exception), new FixedBackOff(0L, 9L));
    }

    /**
     * @param recoverer what gets a record that is not retried any more (a dead-letter publisher)
     * @param backOff the retries of failures that are not cancels
     */
    public CancellationErrorHandler(ConsumerRecordRecoverer recoverer, BackOff backOff) {
        super(Objects.requireNonNull(recoverer, "recoverer"), Objects.requireNonNull(backOff, "backOff"));
        this.recoverer = recoverer;
        setBackOffFunction(new CancellationBackOffFunction());
    }

    @Override
    public void handleBatch(Exception thrownException, ConsumerRecords<?, ?> data, Consumer<?, ?> consumer,
            MessageListenerContainer container, Runnable invokeListener) {
        if (!handleCancelled(thrownException, data, consumer)) {
            super.handleBatch(thrownException, data, consumer, container, invokeListener);
        }
    }

    @Override
    public <K, V> ConsumerRecords<K, V> handleBatchAndReturnRemaining(Exception thrownException,
            ConsumerRecords<?, ?> data, Consumer<?, ?> consumer, MessageListenerContainer container,
            Runnable invokeListener) {
        if (handleCancelled(thrownException, data, consumer)) {
            return ConsumerRecords.empty();
        }
        return super.handleBatchAndReturnRemaining(thrownException, data, consumer, container, invokeListener);
    }

    /**
     * Handles the batch if its invocation was cancelled or refused: returns {@code false} when it was not, throws
     * for a {@code SHUTDOWN} (after seeking back, so that the container commits nothing), recovers it otherwise.
     */
    private boolean handleCancelled(Exception thrown, ConsumerRecords<?, ?> data, Consumer<?, ?> consumer) {
        if (data.isEmpty()) {
            return false;
        }
        Optional<TaskCancelledException> cancelled = TaskCancelledException.find(thrown)
                .or(() -> Optional.ofNullable(InvocationBatchInterceptor.cancellationOf(data)));
        if (cancelled.isEmpty() && !malformedDeadline(thrown)) {
            return false;
        }
        if (cancelled.isPresent() && cancelled.get().reason().kind() == CancellationReason.Kind.SHUTDOWN) {
            seekBack(data, consumer);
            throw new KafkaException("Batch sought back after its listener invocation was cancelled: "
                    + cancelled.get().reason(), KafkaException.Level.DEBUG, thrown);
        }
        for (ConsumerRecord<?, ?> record : data) {
            try {
                recoverer.accept(record, thrown);
            } catch (RuntimeException ex) {
                logger.error("Recoverer failed for " + KafkaUtils.format(record), ex);
            }
        }
        return true;
    }

    private static void seekBack(ConsumerRecords<?, ?> data, Consumer<?, ?> consumer) {
        for (TopicPartition partition : data.partitions()) {
            try {
                consumer.seek(partition, data.records(partition).get(0).offset());
            } catch (IllegalStateException ex) {
                // No longer assigned: its next owner starts from the committed offset, before this batch.
                logger.debug("Not sought back, no longer assigned: " + partition);
            }
        }
    }

    private static boolean malformedDeadline(@Nullable Throwable exception) {
        Throwable current = exception;
        for (int depth = 0; current != null && depth < 32; depth++, current = current.getCause()) {
            if (current instanceof MessageDeadlineException) {
                return true;
            }
        }
        return false;
    }
}
