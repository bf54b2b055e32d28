package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.messaging.ListenerInvocation;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.RecordInterceptor;

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

    /** The record in flight on each consumer thread, and the cancel that stopped the last failed one. */
    private static final ConsumerThreadInvocation THREAD = new ConsumerThreadInvocation();

    private final ListenerInvocations invocations;
    private final MessageDeadlines deadlines;
    private final @Nullable Duration listenerTimeout;
    private final ConsumerThreads consumerThreads;
    private final StoppedContainerWatch stopWatch;
    private final @Nullable RecordInterceptor<Object, Object> delegate;

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
        return THREAD.cancellationOf(record);
    }

    @Override
    public @Nullable ConsumerRecord<Object, Object> intercept(ConsumerRecord<Object, Object> record,
            Consumer<Object, Object> consumer) {
        THREAD.reset();
        ConsumerThreads.Containers containers = consumerThreads.current();
        String listener = ConsumerThreadInvocation.listenerName(containers);
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
        ListenerInvocation invocation = ConsumerThreadInvocation.open(invocations, name, attributes,
                admission.budget(listenerTimeout));
        THREAD.begin(record, invocation, containers, stopWatch);
        if (delegate == null) {
            return record;
        }
        try {
            return delegate.intercept(record, consumer);
        } catch (RuntimeException | Error ex) {
            THREAD.close(ex);
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
            THREAD.close(null);
        }
    }

    @Override
    public void failure(ConsumerRecord<Object, Object> record, Exception exception, Consumer<Object, Object> consumer) {
        try {
            THREAD.fail(exception, record);
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
            // The container skipped the success and failure calls (e.g. a transaction rolled back around the
            // listener): the invocation ends as it is.
            THREAD.closeLeftOver(record);
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
        THREAD.clearThreadState(delegate, consumer);
    }
}
