package dev.cancellation.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.aop.TargetSource;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Mono;

/**
 * Decorates every R2DBC {@link ConnectionFactory} bean so that the connections it emits are
 * {@linkplain R2dbcStatementCanceller#wrap(Connection, String) wrapped} by an {@link R2dbcStatementCanceller}.
 *
 * <p>The decoration is a Spring AOP proxy of the bean's own class that advises only {@code create()}: the bean
 * stays an instance of its class (r2dbc-pool's {@code ConnectionPool}, so Boot's pool metrics and injection by
 * concrete type keep working, and {@code unwrap()}, {@code getMetrics()}, {@code dispose()} reach the real
 * pool). A bean that is already an AOP proxy gets the advice added to it; a final class (such as
 * {@code PostgresqlConnectionFactory}) is proxied by its interfaces instead. A factory that delegates to another
 * decorated one emits the connection already wrapped, which is not wrapped twice.
 *
 * <p>Thread-safety: configured once at startup; the advice reads a concurrent map of names and otherwise only uses
 * the thread-safe canceller.
 */
@SuppressWarnings("serial")
public class CancellableConnectionFactoryPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

    private final R2dbcStatementCanceller canceller;
    /** Bean names by the object the advice sees as its target (the bean, or the target of an existing proxy). */
    private final Map<Object, String> names = new ConcurrentHashMap<>();

    /** A post-processor wrapping connections with {@code canceller}. */
    public CancellableConnectionFactoryPostProcessor(R2dbcStatementCanceller canceller) {
        this.canceller = Objects.requireNonNull(canceller, "canceller");
        this.advisor = new DefaultPointcutAdvisor(new CreatePointcut(), new WrapConnection(canceller, names));
        setProxyTargetClass(true);
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Object result = super.postProcessAfterInitialization(bean, beanName);
        if (bean instanceof ConnectionFactory) {
            Object target = target(bean);
            if (target != null) {
                names.putIfAbsent(target, "ConnectionFactory '" + beanName + "'");
            }
        }
        return result;
    }

    private static @Nullable Object target(Object bean) {
        if (!(bean instanceof Advised advised)) {
            return bean;
        }
        TargetSource source = advised.getTargetSource();
        try {
            return source.isStatic() ? source.getTarget() : null;
        } catch (Exception ex) {
            return null; // named by its toString() then
        }
    }

    /** The canceller that wraps the connections. */
    public R2dbcStatementCanceller canceller() {
        return canceller;
    }

    @Override
    protected ProxyFactory prepareProxyFactory(Object bean, String beanName) {
        ProxyFactory factory = super.prepareProxyFactory(bean, beanName);
        if (Modifier.isFinal(bean.getClass().getModifiers())) {
            factory.setProxyTargetClass(false);
            factory.setInterfaces(ClassUtils.getAllInterfacesForClass(bean.getClass(), getProxyClassLoader()));
        }
        return factory;
    }

    private static final class CreatePointcut extends StaticMethodMatcherPointcut {

        CreatePointcut() {
            setClassFilter(ConnectionFactory.class::isAssignableFrom);
        }

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            return method.getName().equals("create") && method.getParameterCount() == 0
                    && Publisher.class.isAssignableFrom(method.getReturnType());
        }
    }

    private record WrapConnection(R2dbcStatementCanceller canceller, Map<Object, String> names)
            implements MethodInterceptor {

        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Publisher<?> connections = (Publisher<?>) invocation.proceed();
            if (connections == null) {
                return null;
            }
            Object factory = invocation.getThis();
            String known = (factory != null) ? names.get(factory) : null;
            String name = (known != null) ? known : "ConnectionFactory " + factory;
            // a Mono either way: ConnectionFactory declares a Publisher, its implementations a Mono
            return Mono.from(connections).map(connection -> canceller.wrap((Connection) connection, name));
        }
    }
}
