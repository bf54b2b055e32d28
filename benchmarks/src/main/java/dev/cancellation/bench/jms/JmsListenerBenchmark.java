package dev.cancellation.bench.jms;

import dev.cancellation.CancellationToken;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.jms.annotation.JmsListener;

/**
 * Per-message cost of the JMS edge: the same {@code @JmsListener} (reads its token, counts the message) on the
 * same kind of embedded Artemis broker, in two applications side by side in one run:
 * <ul>
 *   <li>{@code withoutEdge}: the starter present, {@code cancellation.jms.enabled=false}: Spring JMS alone;</li>
 *   <li>{@code withEdge}: the edge on: every message a listener invocation (a registered task with its token, the
 *       deadline property read, the message id and delivery count as attributes).</li>
 * </ul>
 * An operation is one message: each invocation sends {@value #BATCH} messages and waits until the listener has
 * taken them all, through the broker, a transacted session and a commit per message, as Boot's containers run.
 * The ratio of the two throughputs is the edge's overhead per message.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class JmsListenerBenchmark {

    static final int BATCH = 100;

    /** The listener: reads its token, as a body that checks it would, and counts the message. */
    public static class CountingListener {

        final Semaphore received = new Semaphore(0);

        @JmsListener(id = "orders", destination = JmsBenchApplication.QUEUE)
        public void onOrder(String body) {
            CancellationToken.current().throwIfCancelled();
            received.release();
        }
    }

    private JmsBenchApplication withEdge;
    private CountingListener withEdgeListener;
    private JmsBenchApplication withoutEdge;
    private CountingListener withoutEdgeListener;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        withoutEdgeListener = new CountingListener();
        withoutEdge = JmsBenchApplication.start(false, withoutEdgeListener);
        withEdgeListener = new CountingListener();
        try {
            withEdge = JmsBenchApplication.start(true, withEdgeListener);
        } catch (Exception ex) {
            withoutEdge.close();
            throw ex;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        try {
            withEdge.close();
        } finally {
            withoutEdge.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void withoutEdge() throws Exception {
        sendAndAwait(withoutEdge, withoutEdgeListener);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void withEdge() throws Exception {
        sendAndAwait(withEdge, withEdgeListener);
    }

    private static void sendAndAwait(JmsBenchApplication application, CountingListener listener) throws Exception {
        for (int i = 0; i < BATCH; i++) {
            application.send("order");
        }
        if (!listener.received.tryAcquire(BATCH, 30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The listener took " + listener.received.availablePermits() + " of "
                    + BATCH + " messages in 30 s");
        }
    }
}
