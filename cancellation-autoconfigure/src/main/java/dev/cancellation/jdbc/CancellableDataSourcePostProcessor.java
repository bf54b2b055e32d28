package dev.cancellation.jdbc;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.sql.Connection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.TargetSource;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.util.ClassUtils;

/**
 * Decorates every {@link DataSource} bean so that the connections it hands out are
 * {@linkplain StatementCanceller#wrap(Connection) wrapped} by a {@link StatementCanceller}.
 *
 * <p>The decoration is a Spring AOP proxy of the bean's own class that advises only {@code getConnection()} and
 * {@code getConnection(String, String)}: the bean stays an instance of its class ({@code HikariDataSource},
 * {@code AbstractRoutingDataSource}, a user's own delegating data source), so injection by concrete type, Boot's
 * pool metrics, health indicator and {@code DataSourceUnwrapper}, and every other method reach the real object
 * unchanged. A bean that is already an AOP proxy gets the advice added to it; a final class is proxied by its
 * interfaces instead. A data source that delegates to another decorated one hands out the connection already
 * wrapped, which is not wrapped twice.
 *
 * <p>The bean name is remembered for the log: a connection aborted because a cancel may still reach it is logged
 * naming its data source.
 *
 * <p>Thread-safety: configured once at startup; the advice reads a concurrent map of names and otherwise only uses
 * the thread-safe canceller.
 * Destroying the post-processor closes the canceller.
 */
@SuppressWarnings("serial")
public class CancellableDataSourcePostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor
        implements DisposableBean {

    private final StatementCanceller canceller;
    /** Bean names by the object the advice sees as its target (the bean, or the target of an existing proxy). */
    private final Map<Object, String> names = new ConcurrentHashMap<>();

    /** A post-processor wrapping connections with {@code canceller}, which it closes when destroyed. */
    public CancellableDataSourcePostProcessor(StatementCanceller canceller) {
        this.canceller = Objects.requireNonNull(canceller, "canceller");
        this.advisor = new DefaultPointcutAdvisor(new GetConnectionPointcut(), new WrapConnection(canceller, names));
        setProxyTargetClass(true);
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Object result = super.postProcessAfterInitialization(bean, beanName);
        if (bean instanceof DataSource) {
            Object target = target(bean);
            if (target != null) {
                names.putIfAbsent(target, "DataSource '" + beanName + "'");
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
    public StatementCanceller canceller() {
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

    @Override
    public void destroy() {
        canceller.close();
    }

    private static final class GetConnectionPointcut extends StaticMethodMatcherPointcut {

        GetConnectionPointcut() {
            setClassFilter(DataSource.class::isAssignableFrom);
        }

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            return method.getName().equals("getConnection") && method.getReturnType() == Connection.class;
        }
    }

    private record WrapConnection(StatementCanceller canceller, Map<Object, String> names)
            implements MethodInterceptor {

        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Connection connection = (Connection) invocation.proceed();
            if (connection == null || StatementCanceller.isWrapped(connection)) {
                return connection;
            }
            Object dataSource = invocation.getThis();
            String name = (dataSource != null) ? names.get(dataSource) : null;
            return canceller.wrap(connection, (name != null) ? name : "DataSource " + dataSource, dataSource);
        }
    }
}
