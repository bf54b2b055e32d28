package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.messaging.ListenerInvocation;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskRejectedException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.KafkaUtils;

/**
 * Runs each record a listener container delivers as a {@link ListenerInvocation}: a task named after the listener
 * id and the topic, with the partition and offset as attributes, whose token is current on the consumer thread
 * from {@link #intercept} until the listener returns ({@link #success}) or throws ({@link #failure}), with the
 * record's deadline and the listener timeout as its budget. A record whose deadline has passed does not reach the
 * listener: {@link #intercept} throws a {@link TaskTimeoutException}, which the container hands to its error
 * handler (so a dead-letter recoverer gets it), and it is counted ({@link ListenerInvocations#recordExpired}). A
 * malformed deadline header throws {@code MessageDeadlineException} the same way, and a record that arrives once
 * the registry has stopped admitting tasks (the application is shutting down) a {@code TaskCancelledException}
 * with reason {@code SHUTDOWN}, so that it is redelivered.
 *
 * <p>The application's own interceptor ({@code delegate}) runs inside: after the invocation is opened (so it sees
 * the token) and before it is closed.
 *
 * <p>Thread-safety: the state of the record in flight is per consumer thread; one instance serves every container
 * of a factory.
 */
public final class InvocationRecordInterceptor implements RecordInterceptor<Object, Object> {

    /** The record in flight on this consumer thread. */
    private static final ThreadLocal<@Nullable InFlight> IN_FLIGHT = new ThreadLocal<>();

    /** The cancel that stopped the last failed record on this consumer thread, for the error handler. */
    private static final ThreadLocal<@Nullable Outcome> LAST_CANCELLED = new ThreadLocal<>();

    private final ListenerInvocations invocations;
    private final MessageDeadlines deadlines;
    private final @Nullable Duration listenerTimeout;
    private final ConsumerThreads consumerThreads;
    private final StoppedContainerWatch stopWatch;
    private final @Nullable RecordInterceptor<Object, Object> delegate;

    private record InFlight(ConsumerRecord<?, ?> record, ListenerInvocation invocation, TaskAttachment attachment) {
    }

    private record Outcome(String topic, int partition, long offset, TaskCancelledException cancelled) {
    }

    /**
     * @param listenerTimeout the budget of every invocation without a deadline of its own; {@code null} for none
     * @param delegate the application's own interceptor, run inside; {@code null} for none
     */
    public InvocationRecordInterceptor(ListenerInvocations invocations, MessageDeadlines deadlines,
            @Nullable Duration listenerTimeout, ConsumerThreads consumerThreads, StoppedContainerWatch stopWatch,
            @Nullable RecordInterceptor<Object, Object> delegate) {
        this.invocations = Objects.requireNonNull(invocations, "invocations");
        this.deadlines = Objects.requireNonNull(deadlines, "deadlines");
        this.listenerTimeout = listenerTimeout;
        this.consumerThreads = Objects.requireNonNull(consumerThreads, "consumerThreads");
        this.stopWatch = Objects.requireNonNull(stopWatch, "stopWatch");
        this.delegate = delegate;
    }

    /** The application's interceptor this one runs, or {@code null}. */
    public @Nullable RecordInterceptor<Object, Object> getDelegate() {
        return delegate;
    }

    /**
     * The cancel that stopped {@code record}'s listener on the calling consumer thread, if its invocation was
     * cancelled, whatever the listener threw: what {@link CancellationBackOffFunction} asks the error handler's
     * thread.
     */
    static @Nullable TaskCancelledException cancellationOf(ConsumerRecord<?, ?> record) {
        Outcome outcome = LAST_CANCELLED.get();
        if (outcome != null && outcome.offset() == record.offset() && outcome.partition() == record.partition()
                && outcome.topic().equals(record.topic())) {
            return outcome.cancelled();
        }
        return null;
    }

    @Override
    public @Nullable ConsumerRecord<Object, Object> intercept(ConsumerRecord<Object, Object> record,
            Consumer<Object, Object> consumer) {
        closeLeftOver(null);
        LAST_CANCELLED.remove();
        ConsumerThreads.Containers containers = consumerThreads.current();
        String listener = listenerName(containers);
        String name = listener + " " + record.topic();
        Header header = record.headers().lastHeader(deadlines.header());
        MessageDeadlines.Admission admission = deadlines.admit((header != null) ? header.value() : null,
                record.topic());
        if (admission.expired()) {
            invocations.recordExpired(listener);
            throw new TaskTimeoutException(CancellationReason.deadlineExceeded(Objects.requireNonNull(
                    admission.deadline())), name + ": the record arrived after its deadline");
        }
        Map<String, String> attributes = Map.of("topic", record.topic(),
                "partition", Integer.toString(record.partition()), "offset", Long.toString(record.offset()));
        ListenerInvocation invocation;
        try {
            invocation = invocations.open(name, attributes, admission.budget(listenerTimeout), null);
        } catch (TaskRejectedException ex) {
            // The registry is shutting down: the record is redelivered, like one cancelled by the shutdown.
            TaskCancelledException refused = new TaskCancelledException(CancellationReason.shutdown("registry"),
                    name + ": the application is shutting down");
            refused.initCause(ex);
            throw refused;
        }
        TaskAttachment attachment = invocation.attach();
        IN_FLIGHT.set(new InFlight(record, invocation, attachment));
        if (containers != null) {
            stopWatch.watch(invocation, containers.consumer());
        }
        if (delegate == null) {
            return record;
        }
        try {
            return delegate.intercept(record, consumer);
        } catch (RuntimeException | Error ex) {
            close(ex);
            throw ex;
        }
    }

    @Override
    public void success(ConsumerRecord<Object, Object> record, Consumer<Object, Object> consumer) {
        try {
            if (delegate != null) {
                delegate.success(record, consumer);
            }
        } finally {
            close(null);
        }
    }

    @Override
    public void failure(ConsumerRecord<Object, Object> record, Exception exception, Consumer<Object, Object> consumer) {
        try {
            Throwable outcome = close(exception);
            TaskCancelledException.find(outcome).ifPresent(cancelled -> LAST_CANCELLED.set(
                    new Outcome(record.topic(), record.partition(), record.offset(), cancelled)));
        } finally {
            if (delegate != null) {
                delegate.failure(record, exception, consumer);
            }
        }
    }

    @Override
    public void afterRecord(ConsumerRecord<Object, Object> record, Consumer<Object, Object> consumer) {
        try {
            if (delegate != null) {
                delegate.afterRecord(record, consumer);
            }
        } finally {
            closeLeftOver(record);
        }
    }

    @Override
    public void setupThreadState(Consumer<?, ?> consumer) {
        if (delegate != null) {
            delegate.setupThreadState(consumer);
        }
    }

    @Override
    public void clearThreadState(Consumer<?, ?> consumer) {
        try {
            if (delegate != null) {
                delegate.clearThreadState(consumer);
            }
        } finally {
            closeLeftOver(null);
            LAST_CANCELLED.remove();
        }
    }

    /** Ends the invocation in flight on this thread with {@code failure}; returns what {@code exit} returned. */
    private @Nullable Throwable close(@Nullable Throwable failure) {
        InFlight inFlight = IN_FLIGHT.get();
        if (inFlight == null) {
            return failure;
        }
        IN_FLIGHT.remove();
        try {
            inFlight.attachment().close();
        } finally {
            stopWatch.unwatch(inFlight.invocation());
        }
        return inFlight.invocation().exit(failure);
    }

    /**
     * An invocation still open when the next record starts or the thread's state is cleared (the container skipped
     * the success and failure calls, e.g. with a transaction rolled back around the listener) ends as it is.
     */
    private void closeLeftOver(@Nullable ConsumerRecord<?, ?> record) {
        InFlight inFlight = IN_FLIGHT.get();
        if (inFlight != null && (record == null || inFlight.record() == record)) {
            close(null);
        }
    }

    private static String listenerName(ConsumerThreads.@Nullable Containers containers) {
        if (containers != null) {
            return containers.listener().getListenerId();
        }
        String group = KafkaUtils.getConsumerGroupId();
        return (group != null) ? group : "kafka";
    }
}
