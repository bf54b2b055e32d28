package dev.cancellation.amqp;

import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import org.aopalliance.aop.Advice;
import org.jspecify.annotations.Nullable;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.util.ReflectionUtils;

/**
 * What the RabbitMQ edge does to a listener container: {@link #install} puts an advice outermost in its advice
 * chain, around every delivery (a message, or a batch for a batch listener), so that each runs as a
 * {@link dev.cancellation.messaging.ListenerInvocation}:
 * <ul>
 *   <li>a task named {@code <listener id> <queue>}, with the message id and delivery tag as attributes, whose token
 *       is current while the listener runs;</li>
 *   <li>bounded by {@code listenerTimeout} and by the deadline the message carries, whichever is earlier; a message
 *       whose deadline has passed, or whose deadline header is malformed, is rejected without being requeued (the
 *       broker dead-letters it where the queue has a dead-letter exchange) and the listener does not run;</li>
 *   <li>when the container stops, given the drain period, then cancelled with {@code SHUTDOWN}: its message is
 *       requeued, never dead-lettered; a delivery that reaches a stopping container is requeued without running;</li>
 *   <li>when cancelled otherwise (an operator, a timeout), its message is rejected without being requeued, unless
 *       {@code requeueCancelled} is set (only for {@code REQUESTED}).</li>
 * </ul>
 * Being outermost, the advice also covers Spring AMQP's retry interceptor: retries are attempts of one invocation,
 * and a message the edge rejects or requeues is not retried.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently.
 */
public final class RabbitListenerCancellation implements AutoCloseable {

    // The container's advice chain and shutdown timeout have protected getters only.
    private static final Method ADVICE_CHAIN = getter("getAdviceChain");
    private static final Method SHUTDOWN_TIMEOUT = getter("getShutdownTimeout");

    private final ListenerInvocations invocations;
    private final MessageDeadlines deadlines;
    private final @Nullable Duration listenerTimeout;
    private final boolean requeueCancelled;
    private final ContainerStopWatch stopWatch;

    /**
     * @param invocations where invocations are registered (its period is the drain at a container stop)
     * @param deadlines the deadline header policy
     * @param listenerTimeout the budget of every invocation, {@code null} for none
     * @param requeueCancelled whether a message whose invocation was cancelled on request is requeued rather than
     *     rejected
     */
    public RabbitListenerCancellation(ListenerInvocations invocations, MessageDeadlines deadlines,
            @Nullable Duration listenerTimeout, boolean requeueCancelled) {
        this.invocations = Objects.requireNonNull(invocations, "invocations");
        this.deadlines = Objects.requireNonNull(deadlines, "deadlines");
        this.listenerTimeout = listenerTimeout;
        this.requeueCancelled = requeueCancelled;
        this.stopWatch = new ContainerStopWatch(invocations.period());
    }

    /** The invocations in flight. */
    public ListenerInvocations invocations() {
        return invocations;
    }

    /**
     * Puts the invocation advice outermost in {@code container}'s advice chain (once; a container that has it is
     * left alone), and lengthens its shutdown timeout to the drain period plus the time a cancelled invocation may
     * take to end, so that the container waits for the invocations it stops and nacks their messages itself. Call
     * before the container is initialised ({@code afterPropertiesSet}).
     */
    public void install(AbstractMessageListenerContainer container) {
        Advice[] chain = (Advice[]) read(ADVICE_CHAIN, container);
        if (Arrays.stream(chain).anyMatch(InvocationAdvice.class::isInstance)) {
            return;
        }
        Advice[] withOurs = new Advice[chain.length + 1];
        withOurs[0] = new InvocationAdvice(container, this);
        System.arraycopy(chain, 0, withOurs, 1, chain.length);
        container.setAdviceChain(withOurs);
        long wait = invocations.period().plus(InvocationAdvice.CANCELLED_EXIT).toMillis();
        if ((long) read(SHUTDOWN_TIMEOUT, container) < wait) {
            container.setShutdownTimeout(wait);
        }
    }

    /** Reads a container setting that Spring AMQP exposes to subclasses only. */
    private static Object read(Method getter, AbstractMessageListenerContainer container) {
        return Objects.requireNonNull(ReflectionUtils.invokeMethod(getter, container), getter.getName());
    }

    private static Method getter(String name) {
        Method getter = ReflectionUtils.findMethod(AbstractMessageListenerContainer.class, name);
        if (getter == null) {
            throw new IllegalStateException("AbstractMessageListenerContainer." + name + "() not found: this Spring "
                    + "AMQP version is not supported by the RabbitMQ edge (set cancellation.rabbitmq.enabled=false)");
        }
        ReflectionUtils.makeAccessible(getter);
        return getter;
    }

    MessageDeadlines deadlines() {
        return deadlines;
    }

    @Nullable Duration listenerTimeout() {
        return listenerTimeout;
    }

    boolean requeueCancelled() {
        return requeueCancelled;
    }

    ContainerStopWatch stopWatch() {
        return stopWatch;
    }

    /** Stops watching containers. */
    @Override
    public void close() {
        stopWatch.close();
    }
}
