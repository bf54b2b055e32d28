package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.messaging.ListenerInvocation;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskRejectedException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.springframework.kafka.listener.ThreadStateProcessor;
import org.springframework.kafka.support.KafkaUtils;

/**
 * The per-consumer-thread bookkeeping of an interceptor that runs each delivery (a record, a batch) as one
 * {@link ListenerInvocation}: the invocation in flight on the thread, its token attached and its container watched
 * by a {@link StoppedContainerWatch} from {@link #begin} until {@link #close}; and the cancel that stopped the last
 * failed delivery ({@link #fail}), for the error handler, which runs after it on the same thread
 * ({@link #cancellationOf}).
 *
 * <p>Thread-safety: the state is per thread (thread locals); one instance serves every interceptor of its kind (the
 * record interceptors, the batch interceptors).
 */
final class ConsumerThreadInvocation {

    /** The delivery in flight on this consumer thread. */
    private final ThreadLocal<@Nullable InFlight> inFlight = new ThreadLocal<>();

    /** The cancel that stopped the last failed delivery on this consumer thread, for the error handler. */
    private final ThreadLocal<@Nullable Outcome> lastCancelled = new ThreadLocal<>();

    private record InFlight(Object delivery, ListenerInvocation invocation, TaskAttachment attachment,
            StoppedContainerWatch stopWatch) {
    }

    /** The first record the cancelled listener got, to recognise its delivery, and the cancel. */
    private record Outcome(String topic, int partition, long offset, TaskCancelledException cancelled) {
    }

    /**
     * Opens the invocation of a delivery ({@link ListenerInvocations#open}, without a parent); when the registry has
     * stopped admitting tasks (the application is shutting down) throws a {@code TaskCancelledException} with reason
     * {@code SHUTDOWN}, so that the delivery is redelivered, like one cancelled by the shutdown.
     */
    static ListenerInvocation open(ListenerInvocations invocations, String name, Map<String, String> attributes,
            @Nullable Duration budget) {
        try {
            return invocations.open(name, attributes, budget, null);
        } catch (TaskRejectedException ex) {
            TaskCancelledException refused = new TaskCancelledException(CancellationReason.shutdown("registry"),
                    name + ": the application is shutting down");
            refused.initCause(ex);
            throw refused;
        }
    }

    /** The listener id of the consumer thread's container, else its consumer group, else {@code kafka}. */
    static String listenerName(ConsumerThreads.@Nullable Containers containers) {
        if (containers != null) {
            return containers.listener().getListenerId();
        }
        String group = KafkaUtils.getConsumerGroupId();
        return (group != null) ? group : "kafka";
    }

    /**
     * The start of a delivery, or the clearing of the thread's state: ends the invocation still open on this thread
     * as it is (the container skipped the success and failure calls, e.g. with a transaction rolled back around the
     * listener) and forgets the last cancel.
     */
    void reset() {
        close(null);
        lastCancelled.remove();
    }

    /**
     * Makes {@code invocation} the one in flight on this thread for {@code delivery}: attaches its token, and has
     * {@code stopWatch} watch the consumer's container, when it is known, until {@link #close}.
     */
    void begin(Object delivery, ListenerInvocation invocation, ConsumerThreads.@Nullable Containers containers,
            StoppedContainerWatch stopWatch) {
        inFlight.set(new InFlight(delivery, invocation, invocation.attach(), stopWatch));
        if (containers != null) {
            stopWatch.watch(invocation, containers.consumer());
        }
    }

    /** Ends the invocation in flight on this thread, if any, with {@code failure}; returns what it returned. */
    @Nullable Throwable close(@Nullable Throwable failure) {
        InFlight current = inFlight.get();
        if (current == null) {
            return failure;
        }
        inFlight.remove();
        try {
            current.attachment().close();
        } finally {
            current.stopWatch().unwatch(current.invocation());
        }
        return current.invocation().exit(failure);
    }

    /** Ends the invocation in flight on this thread if it is the one of {@code delivery}. */
    void closeLeftOver(Object delivery) {
        InFlight current = inFlight.get();
        if (current != null && current.delivery() == delivery) {
            close(null);
        }
    }

    /**
     * Ends the invocation in flight with {@code exception} and, if it was cancelled, keeps the cancel for
     * {@link #cancellationOf}, keyed by {@code first}, the first record of the delivery ({@code null}: not kept).
     */
    void fail(Exception exception, @Nullable ConsumerRecord<?, ?> first) {
        Throwable outcome = close(exception);
        if (first != null) {
            TaskCancelledException.find(outcome).ifPresent(cancelled -> lastCancelled.set(
                    new Outcome(first.topic(), first.partition(), first.offset(), cancelled)));
        }
    }

    /** The cancel kept by {@link #fail} on this thread if {@code record} was the first record of its delivery. */
    @Nullable TaskCancelledException cancellationOf(ConsumerRecord<?, ?> record) {
        Outcome outcome = lastCancelled.get();
        if (outcome != null && outcome.offset() == record.offset() && outcome.partition() == record.partition()
                && outcome.topic().equals(record.topic())) {
            return outcome.cancelled();
        }
        return null;
    }

    /** Runs the application's {@code delegate}'s {@code clearThreadState}, then {@link #reset}. */
    void clearThreadState(@Nullable ThreadStateProcessor delegate, Consumer<?, ?> consumer) {
        try {
            if (delegate != null) {
                delegate.clearThreadState(consumer);
            }
        } finally {
            reset();
        }
    }
}
