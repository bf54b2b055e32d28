package dev.cancellation.spring;

import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskRegistry;
import java.util.Objects;
import org.springframework.aop.Advisor;
import org.springframework.aop.Pointcut;
import org.springframework.aop.framework.AopInfrastructureBean;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.beans.factory.config.EmbeddedValueResolver;
import org.springframework.core.Ordered;

/**
 * Applies {@code @Cancellable} to beans, the way Spring applies {@code @Async} and {@code @Retryable}: an
 * {@link AnnotationMatchingPointcut} (the annotation on a method, or on the class for all its public methods), the
 * {@link CancellableInterceptor}, and proxies created or extended by this post-processor.
 *
 * <p><b>Validation.</b> Every bean class is inspected once when its bean is initialised: {@code @Cancellable}
 * attributes are resolved (placeholders, durations) and {@code @OnCancel} methods bound. Invalid use (an
 * unparsable or negative duration, an annotated private, static or final method that a proxy would silently
 * skip, a bad {@code @OnCancel}) fails the creation of the bean, with a message naming the class, the method and
 * the value.
 *
 * <p><b>Ordering.</b> The advice is placed by its <em>advisor order</em> ({@code cancellation.advisor-order},
 * default {@link Ordered#HIGHEST_PRECEDENCE}) among the advisors already on a proxy: before every advisor with the
 * same or a higher order value. So by default it is outside {@code @Async} (whose interceptor has order
 * {@code HIGHEST_PRECEDENCE}: the task is registered at submission and can be cancelled while queued) and outside
 * {@code @Transactional} ({@code LOWEST_PRECEDENCE} by default: the transaction is rolled back before the task
 * ends). A second, innermost advice attaches the thread that runs the body (the executor's, for {@code @Async}).
 * The post-processor itself runs last ({@code LOWEST_PRECEDENCE}), after the auto-proxy creators and after
 * {@code @EnableAsync}'s post-processor, so it extends their proxies instead of wrapping them.
 *
 * <p>Thread-safety: configured once at startup; per-bean work happens during (single-threaded or
 * bean-factory-locked) bean creation; caches are concurrent.
 */
@SuppressWarnings("serial")
public class CancellableAnnotationBeanPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

    private final CancellableMethodResolver resolver = new CancellableMethodResolver(null);
    private final DefaultPointcutAdvisor outerAdvisor;
    private final DefaultPointcutAdvisor innerAdvisor;
    private volatile ObjectProvider<TaskRegistry> registryProvider;
    private volatile TaskRegistry registry;

    /**
     * A post-processor with the given defaults and advisor order.
     *
     * @param defaults what empty {@code @Cancellable} attributes mean
     * @param advisorOrder where the advice goes among a proxy's other advisors (see the class Javadoc)
     */
    public CancellableAnnotationBeanPostProcessor(CancellableDefaults defaults, int advisorOrder) {
        Objects.requireNonNull(defaults, "defaults");
        Pointcut pointcut = new ComposablePointcut(new AnnotationMatchingPointcut(Cancellable.class, true))
                .union(new AnnotationMatchingPointcut(null, Cancellable.class, true));
        this.outerAdvisor = new DefaultPointcutAdvisor(pointcut,
                new CancellableInterceptor(resolver, this::registry, defaults));
        this.outerAdvisor.setOrder(advisorOrder);
        this.innerAdvisor = new DefaultPointcutAdvisor(pointcut, new CancellableAttachInterceptor());
        this.innerAdvisor.setOrder(Ordered.LOWEST_PRECEDENCE);
        this.advisor = outerAdvisor;
        setBeforeExistingAdvisors(true);
    }

    /** A post-processor with default settings, for use without the auto-configuration. */
    public CancellableAnnotationBeanPostProcessor() {
        this(CancellableDefaults.defaults(), Ordered.HIGHEST_PRECEDENCE);
    }

    /** Uses {@code registry} instead of looking the {@link TaskRegistry} bean up. */
    public void setTaskRegistry(TaskRegistry registry) {
        this.registry = registry;
    }

    /** The order of the {@code @Cancellable} advisor among a proxy's advisors. */
    public int getAdvisorOrder() {
        return outerAdvisor.getOrder();
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

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof AopInfrastructureBean) {
            return bean;
        }
        Class<?> targetClass = AopUtils.getTargetClass(bean);
        boolean cancellable = resolver.inspect(targetClass)
                .map(CancellableMethodResolver.BeanMethods::hasCancellables).orElse(false);
        if (!cancellable) {
            return bean;
        }
        if (bean instanceof Advised advised && !advised.isFrozen()) {
            addTo(advised);
            return bean;
        }
        ProxyFactory proxyFactory = prepareProxyFactory(bean, beanName);
        if (!proxyFactory.isProxyTargetClass()) {
            evaluateProxyInterfaces(bean.getClass(), proxyFactory);
        }
        proxyFactory.addAdvisor(outerAdvisor);
        proxyFactory.addAdvisor(innerAdvisor);
        customizeProxyFactory(proxyFactory);
        return proxyFactory.getProxy(getProxyClassLoader());
    }

    private void addTo(Advised advised) {
        Advisor[] existing = advised.getAdvisors();
        for (Advisor present : existing) {
            if (present == outerAdvisor) {
                return;
            }
        }
        int position = 0;
        while (position < existing.length && orderOf(existing[position]) < outerAdvisor.getOrder()) {
            position++;
        }
        advised.addAdvisor(position, outerAdvisor);
        advised.addAdvisor(innerAdvisor);
    }

    private static int orderOf(Advisor advisor) {
        return (advisor instanceof Ordered ordered) ? ordered.getOrder() : Ordered.LOWEST_PRECEDENCE;
    }
}
