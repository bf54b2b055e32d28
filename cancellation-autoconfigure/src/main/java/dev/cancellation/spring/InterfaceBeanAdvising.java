package dev.cancellation.spring;

import dev.cancellation.task.TaskRegistry;
import java.lang.reflect.Method;
import java.util.function.Supplier;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.AdvisedSupport;
import org.springframework.aop.framework.AopProxyUtils;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.core.Ordered;

/**
 * Applies {@code @Cancellable} to the JDK proxy beans that have no class of their own: Spring Data repositories,
 * HTTP interface clients ({@code @HttpExchange}), MyBatis mappers and other interface-only beans whose interface
 * carries the annotations. It is how {@code @Transactional} reaches a repository: the advice is added to the
 * proxy that already exists when it is a Spring AOP proxy that accepts it (Spring Data's repositories and
 * {@code HttpServiceProxyFactory}'s clients are), and otherwise (a plain {@code java.lang.reflect.Proxy}, a frozen
 * proxy) a new proxy of the same interfaces wraps the bean.
 *
 * <p>Each such bean gets an advice of its own, bound to the bean's proxy class: the target behind a repository's
 * proxy is a shared implementation ({@code SimpleJpaRepository}) and an HTTP client has none, so neither can say
 * which interface the call came through.
 *
 * <p>Thread-safety: used during bean creation; holds only thread-safe, shared collaborators.
 */
final class InterfaceBeanAdvising {

    private final CancellableMethodResolver resolver;
    private final Supplier<TaskRegistry> registry;
    private final CancellableDefaults defaults;

    InterfaceBeanAdvising(CancellableMethodResolver resolver, Supplier<TaskRegistry> registry,
            CancellableDefaults defaults) {
        this.resolver = resolver;
        this.registry = registry;
        this.defaults = defaults;
    }

    /**
     * The bean with its {@code @Cancellable} interface methods advised: the same object if it was an
     * unfrozen Spring AOP proxy, a new proxy around it otherwise; the bean itself if it has none.
     *
     * @throws IllegalStateException on invalid use, naming the interface and the method
     */
    Object advise(Object bean) {
        Class<?> proxyClass = bean.getClass();
        CancellableMethodResolver.BeanMethods methods = resolver.inspect(proxyClass).orElse(null);
        if (methods == null || !methods.hasCancellables()) {
            return bean;
        }
        DefaultPointcutAdvisor outer = new DefaultPointcutAdvisor(pointcut(proxyClass, false),
                new CancellableInterceptor(resolver, registry, defaults, proxyClass));
        boolean attach = methods.cancellables().values().stream().anyMatch(CancellableMethod::needsAttachAdvice);
        DefaultPointcutAdvisor inner = null;
        if (attach) {
            inner = new DefaultPointcutAdvisor(pointcut(proxyClass, true), new CancellableAttachInterceptor());
            inner.setOrder(Ordered.LOWEST_PRECEDENCE);
        }
        if (bean instanceof Advised advised && !advised.isFrozen()) {
            // Outermost, like the advice added to class beans: one task spans the repository's transaction.
            advised.addAdvisor(0, outer);
            if (inner != null) {
                // Innermost, but before the advice that ends the chain of a proxy without target (an HTTP client's).
                int count = advised.getAdvisorCount();
                boolean terminal = advised.getTargetSource() == AdvisedSupport.EMPTY_TARGET_SOURCE && count > 1;
                advised.addAdvisor(terminal ? count - 1 : count, inner);
            }
            return bean;
        }
        ProxyFactory factory = new ProxyFactory();
        factory.setTarget(bean);
        factory.setInterfaces(AopProxyUtils.proxiedUserInterfaces(bean));
        factory.addAdvisor(outer);
        if (inner != null) {
            factory.addAdvisor(inner);
        }
        // The bean's own proxy class loader sees its interfaces, also package-private ones.
        return factory.getProxy(proxyClass.getClassLoader());
    }

    /** The methods of the bean's proxy class that are {@code @Cancellable} (and need the innermost advice). */
    private StaticMethodMatcherPointcut pointcut(Class<?> proxyClass, boolean attachOnly) {
        return new StaticMethodMatcherPointcut() {
            @Override
            public boolean matches(Method method, Class<?> targetClass) {
                CancellableMethod cancellable = resolver.resolveCall(method, proxyClass);
                return cancellable != null && (!attachOnly || cancellable.needsAttachAdvice());
            }
        };
    }
}
