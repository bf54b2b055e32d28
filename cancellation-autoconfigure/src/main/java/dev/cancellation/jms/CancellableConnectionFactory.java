package dev.cancellation.jms;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageConsumer;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.core.InfrastructureProxy;
import org.springframework.util.ClassUtils;

/**
 * A {@link ConnectionFactory} whose producers write the deadline of the token current at send time into the
 * message's deadline property, unless the message has one already, and whose consumers' {@code receive} calls
 * (a template's {@code receive}, the wait for the reply of {@code sendAndReceive}) are bounded by the current
 * token: its budget, and its cancel. Connections, sessions, producers and consumers are JDK proxies of every
 * interface of the real objects (a caching factory's session stays a {@code SessionProxy}); only the calls that
 * create them and the {@code send}/{@code publish}/{@code receive} calls are intercepted. Without a current token,
 * or under one without a deadline, messages and receives are untouched.
 *
 * <p>The factory is an {@link InfrastructureProxy} of the real one, so that Spring's transaction synchronisation
 * finds the sessions bound to the real factory (a listener container's transacted session, a
 * {@code JmsTransactionManager}'s) and a template's sends keep joining them.
 *
 * <p>Thread-safety: stateless besides the immutable settings; its proxies are as thread-safe as the JMS objects
 * they wrap.
 */
final class CancellableConnectionFactory implements InvocationHandler {

    private static final Log logger = LogFactory.getLog(CancellableConnectionFactory.class);

    private static final long CLOSE_WAIT_SECONDS = 5;

    private static final Method RECEIVE_WITH_TIMEOUT =
            ClassUtils.getMethod(MessageConsumer.class, "receive", long.class);

    private final ConnectionFactory target;
    private final Supplier<JmsListenerSettings> settings;
    private final boolean writeDeadline;

    private CancellableConnectionFactory(ConnectionFactory target, Supplier<JmsListenerSettings> settings,
            boolean writeDeadline) {
        this.target = target;
        this.settings = settings;
        this.writeDeadline = writeDeadline;
    }

    /** {@code target}, wrapped (once); sends write the deadline if {@code writeDeadline}. */
    static ConnectionFactory wrap(ConnectionFactory target, Supplier<JmsListenerSettings> settings,
            boolean writeDeadline) {
        if (Proxy.isProxyClass(target.getClass())
                && Proxy.getInvocationHandler(target) instanceof CancellableConnectionFactory) {
            return target;
        }
        Set<Class<?>> interfaces = new LinkedHashSet<>(ClassUtils.getAllInterfacesAsSet(target));
        interfaces.add(ConnectionFactory.class);
        interfaces.add(InfrastructureProxy.class);
        return (ConnectionFactory) Proxy.newProxyInstance(CancellableConnectionFactory.class.getClassLoader(),
                interfaces.toArray(Class<?>[]::new), new CancellableConnectionFactory(target, settings, writeDeadline));
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, Object @Nullable [] args) throws Throwable {
        switch (method.getName()) {
            case "getWrappedObject":
                if (method.getParameterCount() == 0) {
                    return target;
                }
                break;
            case "equals":
                return args != null && proxy == args[0];
            case "hashCode":
                return System.identityHashCode(proxy);
            case "toString":
                return "CancellableConnectionFactory[" + target + "]";
            default:
                break;
        }
        Object result = call(target, method, args);
        return (result instanceof Connection connection) ? proxy(connection, new Wrapper(connection)) : result;
    }

    private static @Nullable Object call(Object target, Method method, Object @Nullable [] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException ex) {
            throw ex.getTargetException();
        }
    }

    private static Object proxy(Object target, InvocationHandler handler) {
        return Proxy.newProxyInstance(CancellableConnectionFactory.class.getClassLoader(),
                ClassUtils.getAllInterfaces(target), handler);
    }

    /** Wraps what a connection or session creates, and writes the deadline at a producer's send. */
    private final class Wrapper implements InvocationHandler {

        private final Object target;

        Wrapper(Object target) {
            this.target = target;
        }

        @Override
        public @Nullable Object invoke(Object proxy, Method method, Object @Nullable [] args) throws Throwable {
            switch (method.getName()) {
                case "equals":
                    return args != null && proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "receive":
                    if (target instanceof MessageConsumer consumer) {
                        return receive(consumer, method, args);
                    }
                    break;
                case "send", "publish":
                    if (writeDeadline && target instanceof MessageProducer && args != null) {
                        for (Object arg : args) {
                            if (arg instanceof Message message) {
                                writeDeadline(message);
                            }
                        }
                    }
                    break;
                default:
                    break;
            }
            Object result = call(target, method, args);
            if (result instanceof Session || result instanceof MessageProducer || result instanceof MessageConsumer) {
                return proxy(result, new Wrapper(result));
            }
            return result;
        }
    }

    /**
     * A receive under a token: refused once it is cancelled, waits no longer than its budget (a wait for ever
     * becomes one until the deadline), and stops at once when it is cancelled (the consumer is closed, which
     * returns the blocked receive). A receive that gets no message because of the token throws the
     * {@link TaskCancelledException} or {@link TaskTimeoutException}, not {@code null}.
     */
    private static @Nullable Object receive(MessageConsumer consumer, Method method, Object @Nullable [] args)
            throws Throwable {
        CancellationToken token = CancellationToken.current();
        if (token.isNone()) {
            return call(consumer, method, args);
        }
        token.throwIfCancelled();
        Instant deadline = token.deadline().orElse(null);
        Method receive = method;
        Object @Nullable [] bounded = args;
        if (deadline != null) {
            long left = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
            long asked = (args == null || args.length == 0) ? 0 : (Long) args[0];
            if (asked <= 0 || left < asked) {
                receive = RECEIVE_WITH_TIMEOUT;
                bounded = new Object[] {left};
            }
        }
        Object message;
        CompletableFuture<Void> closed = new CompletableFuture<>();
        Registration registration = token.onCancel(reason -> {
            try {
                closeQuietly(consumer);
            } finally {
                closed.complete(null);
            }
        });
        try {
            message = call(consumer, receive, bounded);
        } finally {
            if (!registration.unregister()) {
                awaitClosed(closed);
            }
        }
        if (message == null) {
            token.throwIfCancelled();
            if (deadline != null && !Instant.now().isBefore(deadline)) {
                throw new TaskTimeoutException(CancellationReason.deadlineExceeded(deadline),
                        "JMS receive: no message before the deadline");
            }
        }
        return message;
    }

    /**
     * The cancel is closing the consumer on another thread: the caller (a template) closes it again and deletes its
     * temporary queue, which the broker refuses while the first close is still under way.
     */
    private static void awaitClosed(CompletableFuture<Void> closed) {
        try {
            closed.get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException ex) {
            logger.debug("A JMS consumer closed by a cancel did not close in time: " + ex);
        }
    }

    private static void closeQuietly(MessageConsumer consumer) {
        try {
            consumer.close();
        } catch (JMSException | RuntimeException ex) {
            logger.debug("Could not close a JMS consumer to stop its receive: " + ex);
        }
    }

    private void writeDeadline(Message message) throws JMSException {
        String value = settings.get().deadlines().encode(CancellationToken.current());
        if (value == null) {
            return;
        }
        String property = settings.get().deadlineProperty();
        if (message.propertyExists(property)) {
            return; // set by the application, or a received message forwarded as is
        }
        try {
            message.setStringProperty(property, value);
        } catch (MessageNotWriteableException ex) {
            logger.debug("Deadline not written to a read-only message: " + ex.getMessage());
        }
    }
}
