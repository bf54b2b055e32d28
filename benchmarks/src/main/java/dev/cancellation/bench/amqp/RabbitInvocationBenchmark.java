package dev.cancellation.bench.amqp;

import dev.cancellation.CancellationToken;
import java.lang.reflect.AccessibleObject;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.aopalliance.aop.Advice;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.test.util.ReflectionTestUtils;

/**
 * The RabbitMQ edge's time per message without the broker's round trip, which hides it in
 * {@link RabbitListenerBenchmark}: the advice the edge adds to the container's advice chain, called on the
 * benchmark's thread as the container calls it around the listener, against the listener alone.
 * <ul>
 *   <li>{@code listenerAlone}: the listener's body (reads its token);</li>
 *   <li>{@code withInvocation}: the same inside the edge's advice: the deadline header read, the invocation task
 *       opened with the queue and message id as attributes, watched for a container stop, its token current, the
 *       task closed.</li>
 * </ul>
 * The difference is the edge's cost per message, to set against the broker's time per message in
 * {@link RabbitListenerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RabbitInvocationBenchmark {

    /** The application's listener, idle: the benchmark calls the advice itself. */
    public static class IdleListener {

        @RabbitListener(id = "orders", queues = "${bench.queue}")
        public void onOrder(String body) {
        }
    }

    private RabbitBenchApplication application;
    private MethodInterceptor advice;
    private MethodInvocation call;

    @Setup(Level.Trial)
    public void setUp() {
        application = RabbitBenchApplication.start(true, new IdleListener());
        AbstractMessageListenerContainer container = (AbstractMessageListenerContainer) application.context()
                .getBean(RabbitListenerEndpointRegistry.class).getListenerContainer("orders");
        Advice[] chain = (Advice[]) ReflectionTestUtils.getField(container, "adviceChain");
        advice = (MethodInterceptor) Arrays.stream(chain)
                .filter(each -> each.getClass().getName().equals("dev.cancellation.amqp.InvocationAdvice"))
                .findFirst().orElseThrow();
        MessageProperties properties = new MessageProperties();
        properties.setConsumerQueue("bench.orders");
        properties.setMessageId("order-1");
        call = new ListenerCall(new Message("order".getBytes(), properties));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        application.close();
    }

    private static void body() {
        CancellationToken.current().throwIfCancelled();
    }

    @Benchmark
    public void listenerAlone() {
        body();
    }

    @Benchmark
    public Object withInvocation() throws Throwable {
        return advice.invoke(call);
    }

    /** The container's {@code invokeListener(channel, data)} as the advice chain sees it; proceeds to the body. */
    private static final class ListenerCall implements MethodInvocation {

        private final Object[] arguments;

        ListenerCall(Message message) {
            this.arguments = new Object[] {null, message};
        }

        @Override
        public Method getMethod() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object[] getArguments() {
            return arguments;
        }

        @Override
        public Object proceed() {
            body();
            return null;
        }

        @Override
        public Object getThis() {
            return this;
        }

        @Override
        public AccessibleObject getStaticPart() {
            throw new UnsupportedOperationException();
        }
    }
}
