package dev.cancellation.bench.jms;

import dev.cancellation.bench.messaging.ListenerApplication;
import dev.cancellation.bench.messaging.ListenerThroughputBenchmark;
import dev.cancellation.bench.messaging.Throughput;
import org.springframework.jms.annotation.JmsListener;

/**
 * Per-message cost of the JMS edge ({@link ListenerThroughputBenchmark}): the same {@code @JmsListener} (reads its
 * token, counts the message) on the same kind of embedded Artemis broker, in two applications side by side in one
 * run:
 * <ul>
 *   <li>{@code withoutEdge}: the starter present, {@code cancellation.jms.enabled=false}: Spring JMS alone;</li>
 *   <li>{@code withEdge}: the edge on: every message a listener invocation (a registered task with its token, the
 *       deadline property read, the message id and delivery count as attributes).</li>
 * </ul>
 * An operation is one message: each invocation sends {@value Throughput#BATCH} messages and waits until the
 * listener has taken them all, through the broker, a transacted session and a commit per message, as Boot's
 * containers run. The ratio of the two throughputs is the edge's overhead per message.
 */
public class JmsListenerBenchmark extends ListenerThroughputBenchmark {

    /** The listener: reads its token, as a body that checks it would, and counts the message. */
    public static class CountingListener {

        private final Throughput count;

        CountingListener(Throughput count) {
            this.count = count;
        }

        @JmsListener(id = "orders", destination = JmsBenchApplication.QUEUE)
        public void onOrder(String body) {
            count.count();
        }
    }

    @Override
    protected ListenerApplication start(boolean edge, Throughput count) throws Exception {
        return JmsBenchApplication.start(edge, new CountingListener(count));
    }
}
