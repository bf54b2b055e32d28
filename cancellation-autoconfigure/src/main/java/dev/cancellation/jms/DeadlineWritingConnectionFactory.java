package dev.cancellation.jms;

import dev.cancellation.CancellationToken;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.core.InfrastructureProxy;
import org.springframework.util.ClassUtils;

/**
 * A {@link ConnectionFactory} whose producers write the deadline of the token current at send time into the
 * message's deadline property, unless the message has one already. Connections, sessions and producers are JDK
 * proxies of every interface of the real objects (a caching factory's session stays a {@code SessionProxy}); only
 * the calls that create them and the {@code send}/{@code publish} calls are intercepted. A message sent without a
 * current token, or under one without a deadline, is untouched.
 *
 * <p>The factory is an {@link InfrastructureProxy} of the real one, so that Spring's transaction synchronisation
 * finds the sessions bound to the real factory (a listener container's transacted session, a
 * {@code JmsTransactionManager}'s) and a template's sends keep joining them.
 *
 * <p>Thread-safety: stateless besides the immutable settings; its proxies are as thread-safe as the JMS objects
 * they wrap.
 */
final class DeadlineWritingConnectionFactory implements InvocationHandler {

    private static final Log logger = LogFactory.getLog(DeadlineWritingConnectionFactory.class);

    private final ConnectionFactory target;
    private final Supplier<JmsListenerSettings> settings;

    private DeadlineWritingConnectionFactory(ConnectionFactory target, Supplier<JmsListenerSettings> settings) {
        this.target = target;
        this.settings = settings;
    }

    /** {@code target}, wrapped (once). */
    static ConnectionFactory wrap(ConnectionFactory target, Supplier<JmsListenerSettings> settings) {
        if (Proxy.isProxyClass(target.getClass())
                && Proxy.getInvocationHandler(target) instanceof DeadlineWritingConnectionFactory) {
            return target;
        }
        Set<Class<?>> interfaces = new LinkedHashSet<>(ClassUtils.getAllInterfacesAsSet(target));
        interfaces.add(ConnectionFactory.class);
        interfaces.add(InfrastructureProxy.class);
        return (ConnectionFactory) Proxy.newProxyInstance(DeadlineWritingConnectionFactory.class.getClassLoader(),
                interfaces.toArray(Class<?>[]::new), new DeadlineWritingConnectionFactory(target, settings));
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
                return "DeadlineWritingConnectionFactory[" + target + "]";
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
        return Proxy.newProxyInstance(DeadlineWritingConnectionFactory.class.getClassLoader(),
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
                case "send", "publish":
                    if (target instanceof MessageProducer && args != null) {
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
            if (result instanceof Session || result instanceof MessageProducer) {
                return proxy(result, new Wrapper(result));
            }
            return result;
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
