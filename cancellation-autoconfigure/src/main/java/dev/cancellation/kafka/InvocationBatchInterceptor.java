package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.messaging.ListenerInvocation;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlineException;
import dev.cancellation.messaging.MessageDeadlines;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.support.KafkaUtils;

/**
 * Runs each batch a batch listener container delivers as ONE {@link ListenerInvocation}: a task named after the
 * listener id and the batch's topic (its topics, sorted and comma-separated, when it spans several), with the
 * batch's {@code topic}, {@code partitions} ({@code topic-partition}, comma-separated), {@code count} and
 * {@code offsets} ({@code first-last} per partition, in the order of {@code partitions}) as attributes, whose token
 * is current on the consumer thread from {@link #intercept} until the listener returns ({@link #success}) or throws
 * ({@link #failure}).
 *
 * <p>Deadlines: a record whose deadline has passed, or whose deadline header is malformed, is taken out of the
 * batch (the listener never sees it), counted ({@link ListenerInvocations#recordExpired}) and logged; its offset is
 * committed with the batch. The rest of the batch runs with the earliest deadline among its records (and the
 * listener timeout) as its budget. When no record is left, the batch does not run: {@link #intercept} throws the
 * {@link TaskTimeoutException} (or {@link MessageDeadlineException}), which the container hands to its error
 * handler, so {@link CancellationErrorHandler} sends every record to the recoverer without retries. A batch that
 * arrives once the registry has stopped admitting tasks throws a {@code SHUTDOWN} {@code TaskCancelledException}:
 * it is redelivered.
 *
 * <p>The reply container of a {@link ReplyingKafkaTemplate} (a batch listener container too, whose listener is the
 * template) is left alone: its batches run as they are, with no invocation.
 *
 * <p>The application's own interceptor ({@code delegate}) runs inside: after the invocation is opened (so it sees
 * the token and the batch without the dropped records) and before it is closed.
 *
 * <p>Thread-safety: the state of the batch in flight is per consumer thread; one instance serves every container of
 * a factory.
 */
public final class InvocationBatchInterceptor implements BatchInterceptor<Object, Object> {

    private static final Log logger = LogFactory.getLog(InvocationBatchInterceptor.class);

    /** The batch in flight on each consumer thread, and the cancel that stopped the last failed one. */
    private static final ConsumerThreadInvocation THREAD = new ConsumerThreadInvocation();

    private final ListenerInvocations invocations;
    private final MessageDeadlines deadlines;
    private final @Nullable Duration listenerTimeout;
    private final ConsumerThreads consumerThreads;
    private final StoppedContainerWatch stopWatch;
    private final @Nullable BatchInterceptor<Object, Object> delegate;

    /**
     * @param listenerTimeout the budget of every invocation without a deadline of its own; {@code null} for none
     * @param delegate the application's own interceptor, run inside; {@code null} for none
     */
    public InvocationBatchInterceptor(ListenerInvocations invocations, MessageDeadlines deadlines,
            @Nullable Duration listenerTimeout, ConsumerThreads consumerThreads, StoppedContainerWatch stopWatch,
            @Nullable BatchInterceptor<Object, Object> delegate) {
        this.invocations = Objects.requireNonNull(invocations, "invocations");
        this.deadlines = Objects.requireNonNull(deadlines, "deadlines");
        this.listenerTimeout = listenerTimeout;
        this.consumerThreads = Objects.requireNonNull(consumerThreads, "consumerThreads");
        this.stopWatch = Objects.requireNonNull(stopWatch, "stopWatch");
        this.delegate = delegate;
    }

    /** The application's interceptor this one runs, or {@code null}. */
    public @Nullable BatchInterceptor<Object, Object> getDelegate() {
        return delegate;
    }

    /**
     * The cancel that stopped the listener of the batch {@code records} on the calling consumer thread, if its
     * invocation was cancelled, whatever the listener threw: what {@link CancellationErrorHandler} asks.
     */
    static @Nullable TaskCancelledException cancellationOf(ConsumerRecords<?, ?> records) {
        for (ConsumerRecord<?, ?> record : records) {
            TaskCancelledException cancelled = THREAD.cancellationOf(record);
            if (cancelled != null) {
                return cancelled;
            }
        }
        return null;
    }

    @Override
    public @Nullable ConsumerRecords<Object, Object> intercept(ConsumerRecords<Object, Object> records,
            Consumer<Object, Object> consumer) {
        THREAD.reset();
        ConsumerThreads.Containers containers = consumerThreads.current();
        if (containers != null && isReplyContainer(containers)) {
            return (delegate != null) ? delegate.intercept(records, consumer) : records;
        }
        String listener = ConsumerThreadInvocation.listenerName(containers);
        Map<TopicPartition, List<ConsumerRecord<Object, Object>>> kept = new LinkedHashMap<>();
        Duration earliest = null;
        RuntimeException refusal = null;
        int dropped = 0;
        for (TopicPartition partition : records.partitions()) {
            for (ConsumerRecord<Object, Object> record : records.records(partition)) {
                Header header = record.headers().lastHeader(deadlines.header());
                MessageDeadlines.Admission admission;
                try {
                    admission = deadlines.admit((header != null) ? header.value() : null, record.topic());
                } catch (MessageDeadlineException ex) {
                    refusal = (refusal != null) ? refusal : ex;
                    dropped++;
                    logger.warn(listener + ": " + KafkaUtils.format(record) + " taken out of its batch: "
                            + ex.getMessage());
                    continue;
                }
                if (admission.expired()) {
                    invocations.recordExpired(listener);
                    refusal = (refusal != null) ? refusal : new TaskTimeoutException(CancellationReason
                            .deadlineExceeded(Objects.requireNonNull(admission.deadline())), listener + " "
                            + record.topic() + ": the record arrived after its deadline");
                    dropped++;
                    logger.warn(listener + ": " + KafkaUtils.format(record)
                            + " taken out of its batch: it arrived after its deadline " + admission.deadline());
                    continue;
                }
                Duration left = admission.left();
                if (left != null && (earliest == null || left.compareTo(earliest) < 0)) {
                    earliest = left;
                }
                kept.computeIfAbsent(partition, key -> new ArrayList<>()).add(record);
            }
        }
        if (kept.isEmpty()) {
            throw Objects.requireNonNull(refusal, "an empty batch");
        }
        ConsumerRecords<Object, Object> batch = (dropped == 0) ? records
                : new ConsumerRecords<>(kept, records.nextOffsets());
        String name = listener + " " + topics(kept);
        ListenerInvocation invocation = ConsumerThreadInvocation.open(invocations, name, attributes(kept),
                new MessageDeadlines.Admission(null, earliest).budget(listenerTimeout));
        THREAD.begin(batch, invocation, containers, stopWatch);
        if (delegate == null) {
            return batch;
        }
        ConsumerRecords<Object, Object> intercepted;
        try {
            intercepted = delegate.intercept(batch, consumer);
        } catch (RuntimeException | Error ex) {
            THREAD.close(ex);
            throw ex;
        }
        if (intercepted == null) {
            // The container skips the batch without calling success or failure.
            THREAD.close(null);
        }
        return intercepted;
    }

    @Override
    public void success(ConsumerRecords<Object, Object> records, Consumer<Object, Object> consumer) {
        try {
            if (delegate != null) {
                delegate.success(records, consumer);
            }
        } finally {
            THREAD.close(null);
        }
    }

    @Override
    public void failure(ConsumerRecords<Object, Object> records, Exception exception,
            Consumer<Object, Object> consumer) {
        try {
            THREAD.fail(exception, records.isEmpty() ? null : records.iterator().next());
        } finally {
            if (delegate != null) {
                delegate.failure(records, exception, consumer);
            }
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

    private static boolean isReplyContainer(ConsumerThreads.Containers containers) {
        return isReplyContainer(containers.consumer()) || isReplyContainer(containers.listener());
    }

    private static boolean isReplyContainer(MessageListenerContainer container) {
        return container.getContainerProperties().getMessageListener() instanceof ReplyingKafkaTemplate<?, ?, ?>;
    }

    private static String topics(Map<TopicPartition, ?> partitions) {
        TreeSet<String> topics = new TreeSet<>();
        partitions.keySet().forEach(partition -> topics.add(partition.topic()));
        return String.join(",", topics);
    }

    private static Map<String, String> attributes(Map<TopicPartition, List<ConsumerRecord<Object, Object>>> kept) {
        StringJoiner partitions = new StringJoiner(",");
        StringJoiner offsets = new StringJoiner(",");
        int count = 0;
        for (Map.Entry<TopicPartition, List<ConsumerRecord<Object, Object>>> entry : kept.entrySet()) {
            List<ConsumerRecord<Object, Object>> list = entry.getValue();
            partitions.add(entry.getKey().topic() + "-" + entry.getKey().partition());
            offsets.add(list.get(0).offset() + "-" + list.get(list.size() - 1).offset());
            count += list.size();
        }
        return Map.of("topic", topics(kept), "partitions", partitions.toString(), "offsets", offsets.toString(),
                "count", Integer.toString(count));
    }
}
