package dev.cancellation.kafka;

import dev.cancellation.CancellationToken;
import dev.cancellation.messaging.MessageDeadlines;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jspecify.annotations.Nullable;

/**
 * A Kafka {@link ProducerInterceptor} that writes the deadline of the token current on the sending thread into
 * the record's deadline header (epoch milliseconds, see {@link MessageDeadlines}), so that the listener that
 * receives it runs with the budget left, or not at all once it has passed. Kafka calls {@code onSend} on the
 * thread that calls {@code send} ({@code KafkaTemplate.send}, {@code ReplyingKafkaTemplate.sendAndReceive}),
 * before serialization. A record that already carries the header keeps it; a record sent without a token, or
 * under a token without a deadline, is untouched.
 *
 * <p>Kafka creates the interceptor from its class name ({@code interceptor.classes}); the auto-configuration adds it
 * to the producer factory's configuration with the {@link MessageDeadlines} under {@link #DEADLINES_CONFIG}.
 *
 * <p>Thread-safety: immutable after {@link #configure}; called by any sending thread.
 */
public class DeadlineProducerInterceptor implements ProducerInterceptor<Object, Object> {

    /** The producer configuration key under which the {@link MessageDeadlines} instance is passed. */
    public static final String DEADLINES_CONFIG = "cancellation.messaging.deadlines";

    private MessageDeadlines deadlines = MessageDeadlines.defaults();

    @Override
    public void configure(Map<String, ?> configs) {
        if (configs.get(DEADLINES_CONFIG) instanceof MessageDeadlines configured) {
            deadlines = configured;
        }
    }

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
        CancellationToken token = CancellationToken.current();
        String value = deadlines.encode(token);
        if (value != null && record.headers().lastHeader(deadlines.header()) == null) {
            record.headers().add(deadlines.header(), value.getBytes(StandardCharsets.UTF_8));
        }
        return record;
    }

    @Override
    public void onAcknowledgement(@Nullable RecordMetadata metadata, @Nullable Exception exception) {
        // nothing to do: the header is written once, on send
    }

    @Override
    public void close() {
        // holds nothing
    }
}
