package dev.cancellation.bench.kafka;

import dev.cancellation.bench.messaging.ListenerApplication;
import dev.cancellation.bench.messaging.ListenerThroughputBenchmark;
import dev.cancellation.bench.messaging.Throughput;
import org.springframework.kafka.annotation.KafkaListener;

/**
 * Per-message cost of the Kafka edge ({@link ListenerThroughputBenchmark}): the same {@code @KafkaListener} on the
 * same in-process KRaft broker ({@link KafkaBenchApplication}), in two applications side by side in one run:
 * <ul>
 *   <li>{@code withoutEdge}: the starter present, {@code cancellation.kafka.enabled=false}: spring-kafka alone;</li>
 *   <li>{@code withEdge}: the edge on: every record a listener invocation (a registered task with its token, the
 *       deadline header read, topic, partition and offset as attributes, the container watched for a stop).</li>
 * </ul>
 * An operation is one record: each invocation sends {@value Throughput#BATCH} records (a producer outside the
 * application, flushed) and waits until the listener has taken them all, through the broker, the consumer's polls
 * and Boot's offset commits.
 */
public class KafkaListenerBenchmark extends ListenerThroughputBenchmark {

    /** The listener. */
    public static class CountingListener {

        private final Throughput count;

        CountingListener(Throughput count) {
            this.count = count;
        }

        @KafkaListener(id = "orders", idIsGroup = false, topics = "${bench.topic}")
        public void onOrder(String body) {
            count.count();
        }
    }

    @Override
    protected ListenerApplication start(boolean edge, Throughput count) {
        return KafkaBenchApplication.start(edge, new CountingListener(count));
    }
}
