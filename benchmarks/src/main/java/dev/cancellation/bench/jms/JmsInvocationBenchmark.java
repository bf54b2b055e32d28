package dev.cancellation.bench.jms;

import dev.cancellation.CancellationToken;
import dev.cancellation.jms.CancellableMessageListener;
import jakarta.jms.Message;
import jakarta.jms.Session;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.jms.annotation.JmsListener;
import org.springframework.jms.config.JmsListenerEndpointRegistry;
import org.springframework.jms.listener.AbstractMessageListenerContainer;
import org.springframework.jms.listener.SessionAwareMessageListener;

/**
 * The JMS edge's time per message without the broker's round trip, which hides it in {@link JmsListenerBenchmark}:
 * a message received from the embedded broker once, handed again and again to the listener a container of the
 * application calls, on the benchmark's thread.
 * <ul>
 *   <li>{@code springListener}: Spring JMS's own listener adapter (the message converted, the {@code @JmsListener}
 *       method invoked), what the container calls without the edge;</li>
 *   <li>{@code withInvocation}: the edge's listener around the same adapter, what the container calls with the
 *       edge: the deadline property read, the invocation task opened with its attributes, its token current, the
 *       task closed.</li>
 * </ul>
 * The difference is the edge's cost per message, to set against the broker's time per message in
 * {@link JmsListenerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class JmsInvocationBenchmark {

    /** The listener: reads its token, as a body that checks it would. */
    public static class TokenReadingListener {

        @JmsListener(id = "orders", destination = JmsBenchApplication.QUEUE)
        public void onOrder(String body) {
            CancellationToken.current().throwIfCancelled();
        }
    }

    private JmsBenchApplication application;
    private SessionAwareMessageListener<Message> withEdge;
    private SessionAwareMessageListener<Message> spring;
    private Message message;
    private Session session;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void setUp() throws Exception {
        application = JmsBenchApplication.start(true, new TokenReadingListener());
        AbstractMessageListenerContainer container = (AbstractMessageListenerContainer) application.context()
                .getBean(JmsListenerEndpointRegistry.class).getListenerContainer("orders");
        CancellableMessageListener wrapped = (CancellableMessageListener) container.getMessageListener();
        withEdge = wrapped;
        spring = (SessionAwareMessageListener<Message>) wrapped.getDelegate();
        message = application.receivedSample();
        session = application.session();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        application.close();
        // the client's global pools keep a non-daemon thread that would hold the fork for JMH's 30 s timeout
        org.apache.activemq.artemis.api.core.client.ActiveMQClient.clearThreadPools();
    }

    @Benchmark
    public void springListener() throws Exception {
        spring.onMessage(message, session);
    }

    @Benchmark
    public void withInvocation() throws Exception {
        withEdge.onMessage(message, session);
    }
}
