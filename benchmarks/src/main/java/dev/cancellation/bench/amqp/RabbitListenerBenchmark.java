package dev.cancellation.bench.amqp;

import dev.cancellation.bench.messaging.ListenerApplication;
import dev.cancellation.bench.messaging.ListenerThroughputBenchmark;
import dev.cancellation.bench.messaging.Throughput;
import org.springframework.amqp.rabbit.annotation.RabbitListener;

/**
 * Per-message cost of the RabbitMQ edge ({@link ListenerThroughputBenchmark}): the same {@code @RabbitListener} on
 * the same in-process Qpid broker ({@link RabbitBenchApplication}), in two applications side by side in one run:
 * <ul>
 *   <li>{@code withoutEdge}: the starter present, {@code cancellation.rabbitmq.enabled=false}: Spring AMQP
 *       alone;</li>
 *   <li>{@code withEdge}: the edge on: every delivery a listener invocation (a registered task with its token, the
 *       deadline header read, the message's attributes, the container watched for a stop).</li>
 * </ul>
 * An operation is one message: each invocation sends {@value Throughput#BATCH} messages (a {@code RabbitTemplate}
 * outside the application) and waits until the listener has taken them all, through the broker and an
 * acknowledgement per message, as Boot's containers run.
 */
public class RabbitListenerBenchmark extends ListenerThroughputBenchmark {

    /** The listener. */
    public static class CountingListener {

        private final Throughput count;

        CountingListener(Throughput count) {
            this.count = count;
        }

        @RabbitListener(id = "orders", queues = "${bench.queue}")
        public void onOrder(String body) {
            count.count();
        }
    }

    @Override
    protected ListenerApplication start(boolean edge, Throughput count) {
        return RabbitBenchApplication.start(edge, new CountingListener(count));
    }
}
