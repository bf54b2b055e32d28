package dev.cancellation.spring;

import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskRegistry;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.Pointcut;
import org.springframework.aop.framework.AopInfrastructureBean;
import org.springframework.aop.framework.AbstractAdvisingBeanPostProcessor;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcher;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.AutowireCapableBeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.beans.factory.config.EmbeddedValueResolver;
import org.springframework.core.Ordered;

/**
 * Applies {@code @Cancellable} to beans the way Spring applies {@code @Async} and {@code @Retryable}: an
 * {@link AnnotationMatchingPointcut} (the annotation on a method, or on the class for its public business
 * methods), the {@link CancellableInterceptor}, and everything {@link AbstractAdvisingBeanPostProcessor} does
 * (it extends it): an existing, unfrozen proxy gets the advice added, any other eligible bean a new proxy (user
 * supplied proxy interfaces, the original class loader and frozen proxies respected), and an
 * {@code AutowireCapableBeanFactory.ORIGINAL_INSTANCE_SUFFIX} instance is left alone.
 *
 * <p><b>Interface beans.</b> A bean that is a JDK proxy of interfaces with no annotated class behind it (a Spring
 * Data repository, an HTTP interface client, a MyBatis mapper) is advised from its interfaces, by
 * {@link InterfaceBeanAdvising}, the way {@code @Transactional} reaches a repository: its task is named after the
 * interface.
 *
 * <p><b>Validation.</b> Every bean class is inspected once when its bean is initialised: {@code @Cancellable}
 * attributes are resolved (placeholders, durations) and {@code @OnCancel} methods bound. Invalid use (an
 * unparsable or negative duration, an annotated private, static or final method that a proxy would silently
 * skip, a bad {@code @OnCancel}) fails the creation of the bean, with a message naming the bean, the class or
 * interface, the method and the value.
 *
 * <p><b>Ordering.</b> Like Spring's advising post-processors, this one puts its advice before the advisors
 * already on a proxy, so the post-processor order decides: a post-processor that runs later wraps the others.
 * The default order, {@link Ordered#LOWEST_PRECEDENCE} ({@code cancellation.advisor-order}), runs it after the
 * auto-proxy creators ({@code @Transactional}, aspects) and after {@code @EnableResilientMethods}
 * ({@code LOWEST_PRECEDENCE - 1}), so one task (one id, one deadline) spans all {@code @Retryable} attempts and
 * the wait for a {@code @ConcurrencyLimit} permit, and a cancelled task's transaction is rolled back inside it.
 * {@code @EnableAsync} has the same default order; Spring then applies the two in registration order, and the
 * auto-configuration registers this one after the application's configuration, so it runs outside
 * {@code @Async}: the task is registered at submission. A second, innermost advice attaches the thread that
 * runs the body (the executor's, for {@code @Async}) and, for {@code @Retryable} methods, sees every attempt;
 * other methods do without it.
 *
 * <p>Thread-safety: configured once at startup; per-bean work happens during (single-threaded or
 * bean-factory-locked) bean creation; caches are concurrent.
 */
@SuppressWarnings("serial")
public class CancellableAnnotationBeanPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

    private final CancellableMethodResolver resolver = new CancellableMethodResolver(null);
    private final DefaultPointcutAdvisor outerAdvisor;
    private final DefaultPointcutAdvisor innerAdvisor;
    private final InterfaceBeanAdvising interfaceBeans;
    private volatile @Nullable ObjectProvider<TaskRegistry> registryProvider;
    private volatile @Nullable TaskRegistry registry;

    /**
     * A post-processor with the given defaults and order.
     *
     * @param defaults what empty {@code @Cancellable} attributes mean
     * @param order the post-processor order (see the class Javadoc): a larger value runs later and so puts the
     *     advice outside that of post-processors with a smaller one
     */
    public CancellableAnnotationBeanPostProcessor(CancellableDefaults defaults, int order) {
        Objects.requireNonNull(defaults, "defaults");
        Pointcut pointcut = new ComposablePointcut(new AnnotationMatchingPointcut(Cancellable.class, true))
                .union(new AnnotationMatchingPointcut(null, Cancellable.class, true));
        this.outerAdvisor = new DefaultPointcutAdvisor(pointcut,
                new CancellableInterceptor(resolver, this::registry, defaults));
        // Only the methods that need the innermost advice get it: a proxy leaves it out of the others' chains.
        Pointcut attachPointcut = new ComposablePointcut(pointcut).intersection(new StaticMethodMatcher() {
            @Override
            public boolean matches(Method method, Class<?> targetClass) {
                CancellableMethod cancellable = resolver.resolveCall(method,
                        (targetClass != null) ? targetClass : method.getDeclaringClass());
                return cancellable != null && cancellable.needsAttachAdvice();
            }
        });
        this.innerAdvisor = new DefaultPointcutAdvisor(attachPointcut, new CancellableAttachInterceptor());
        this.innerAdvisor.setOrder(Ordered.LOWEST_PRECEDENCE);
        this.interfaceBeans = new InterfaceBeanAdvising(resolver, this::registry, defaults);
        this.advisor = outerAdvisor;
        setBeforeExistingAdvisors(true);
        setOrder(order);
    }

    /** A post-processor with default settings, for use without the auto-configuration. */
    public CancellableAnnotationBeanPostProcessor() {
        this(CancellableDefaults.defaults(), Ordered.LOWEST_PRECEDENCE);
    }

    /** Uses {@code registry} instead of looking the {@link TaskRegistry} bean up. */
    public void setTaskRegistry(TaskRegistry registry) {
        this.registry = registry;
    }

    /** The post-processor order ({@code cancellation.advisor-order}); same as {@link #getOrder()}. */
    public int getAdvisorOrder() {
        return getOrder();
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        super.setBeanFactory(beanFactory);
        if (beanFactory instanceof ConfigurableBeanFactory configurable) {
            resolver.setValueResolver(new EmbeddedValueResolver(configurable));
        }
        this.registryProvider = beanFactory.getBeanProvider(TaskRegistry.class);
    }

    private TaskRegistry registry() {
        TaskRegistry current = registry;
        if (current == null) {
            ObjectProvider<TaskRegistry> provider = registryProvider;
            if (provider == null) {
                throw new IllegalStateException("No TaskRegistry for @Cancellable methods: set one or run in a "
                        + "bean factory that defines one");
            }
            current = provider.getObject();
            registry = current;
        }
        return current;
    }

    /** Eligible: a class with {@code @Cancellable} methods; inspecting it validates them (startup errors). */
    @Override
    protected boolean isEligible(Class<?> targetClass) {
        return resolver.inspect(targetClass).map(CancellableMethodResolver.BeanMethods::hasCancellables)
                .orElse(false);
    }

    /** A new proxy gets the innermost advice after the outer one. */
    @Override
    protected void customizeProxyFactory(ProxyFactory proxyFactory) {
        proxyFactory.addAdvisor(innerAdvisor);
        super.customizeProxyFactory(proxyFactory);
    }

    /**
     * Spring's processing; an existing proxy that got the outer advice also gets the innermost one. A JDK proxy
     * bean whose target class has no {@code @Cancellable} method (a repository, an HTTP interface client) is
     * advised from its interfaces instead, by {@link InterfaceBeanAdvising}. A startup error names the bean.
     */
    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (this.advisor == null || bean instanceof AopInfrastructureBean) {
            return bean;
        }
        try {
            if (isInterfaceBean(bean, beanName)) {
                return interfaceBeans.advise(bean);
            }
            Object result = super.postProcessAfterInitialization(bean, beanName);
            if (result instanceof Advised advised && !advised.isFrozen() && advised.indexOf(outerAdvisor) >= 0
                    && advised.indexOf(innerAdvisor) < 0) {
                advised.addAdvisor(innerAdvisor);
            }
            return result;
        } catch (IllegalStateException ex) {
            IllegalStateException named = new IllegalStateException("Bean '" + beanName + "': " + ex.getMessage(),
                    ex.getCause());
            named.setStackTrace(ex.getStackTrace());
            throw named;
        }
    }

    /**
     * A JDK proxy whose annotations, if any, can only be on its interfaces: not one that Spring AOP made for a
     * class bean with {@code @Cancellable} methods (say a {@code @Transactional} service proxied by interface),
     * which the class-based processing handles.
     */
    private boolean isInterfaceBean(Object bean, String beanName) {
        Class<?> beanClass = bean.getClass();
        if (!Proxy.isProxyClass(beanClass)
                || beanName.endsWith(AutowireCapableBeanFactory.ORIGINAL_INSTANCE_SUFFIX)) {
            return false;
        }
        Class<?> targetClass = AopUtils.getTargetClass(bean);
        return targetClass == beanClass || Proxy.isProxyClass(targetClass) || !isEligible(targetClass);
    }
}
