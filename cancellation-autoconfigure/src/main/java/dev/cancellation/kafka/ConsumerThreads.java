package dev.cancellation.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationListener;
import org.springframework.kafka.event.ConsumerStartingEvent;
import org.springframework.kafka.event.ConsumerStoppedEvent;
import org.springframework.kafka.event.KafkaEvent;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * Which listener container each consumer thread belongs to, learnt from the events spring-kafka publishes on the
 * consumer thread itself when it starts ({@link ConsumerStartingEvent}) and forgotten when it stops: a record
 * interceptor sees only the record and the consumer, this tells it the listener's id (for the task's name) and
 * the container (whose stop cancels the record in flight). Containers that publish no events (built without an
 * application context) run unnamed invocations ({@code kafka} and the consumer group) that a stop does not cancel.
 *
 * <p>Thread-safety: every method may be called from any thread.
 */
public final class ConsumerThreads implements ApplicationListener<KafkaEvent> {

    private final Map<Thread, Containers> threads = new ConcurrentHashMap<>();

    /** The consumer's own container (a child of a concurrent container) and the container the listener id names. */
    record Containers(MessageListenerContainer consumer, MessageListenerContainer listener) {
    }

    @Override
    public void onApplicationEvent(KafkaEvent event) {
        if (event instanceof ConsumerStartingEvent) {
            MessageListenerContainer consumer = event.getSource(MessageListenerContainer.class);
            MessageListenerContainer listener = event.getContainer(MessageListenerContainer.class);
            threads.put(Thread.currentThread(), new Containers(consumer, listener));
        } else if (event instanceof ConsumerStoppedEvent) {
            Object source = event.getSource();
            threads.values().removeIf(containers -> containers.consumer() == source);
        }
    }

    /** The containers of the calling consumer thread, or {@code null} if it is not known. */
    @Nullable Containers current() {
        return threads.get(Thread.currentThread());
    }

    /** How many consumer threads are known. */
    public int size() {
        return threads.size();
    }
}
