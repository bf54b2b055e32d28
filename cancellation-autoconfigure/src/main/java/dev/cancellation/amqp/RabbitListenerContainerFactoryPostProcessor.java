package dev.cancellation.amqp;

import java.util.Objects;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.springframework.amqp.rabbit.config.AbstractRabbitListenerContainerFactory;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.NameMatchMethodPointcut;
import org.springframework.aop.support.RootClassFilter;

/**
 * Advises every {@link AbstractRabbitListenerContainerFactory} bean (Boot's {@code rabbitListenerContainerFactory}
 * and the application's own) so that each container it creates gets the invocation advice
 * ({@link RabbitListenerCancellation#install}) before the container is initialised. This composes with whatever
 * the factory already applies (its advice chain, a retry interceptor, Boot's or the application's
 * {@code ContainerCustomizer}): nothing of the factory is replaced, and the factory keeps its class (the proxy
 * subclasses it).
 *
 * <p>Thread-safety: a bean post-processor; the advice it adds may run on any thread.
 */
public class RabbitListenerContainerFactoryPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

    private static final long serialVersionUID = 1L;

    /**
     * @param cancellation looked up when the first container is created (a post-processor is created before the
     *     beans it could be given)
     */
    public RabbitListenerContainerFactoryPostProcessor(Supplier<RabbitListenerCancellation> cancellation) {
        Objects.requireNonNull(cancellation, "cancellation");
        NameMatchMethodPointcut pointcut = new NameMatchMethodPointcut();
        pointcut.setMappedName("createListenerContainer");
        pointcut.setClassFilter(new RootClassFilter(AbstractRabbitListenerContainerFactory.class));
        MethodInterceptor install = call -> {
            Object created = call.proceed();
            if (created instanceof AbstractMessageListenerContainer container) {
                cancellation.get().install(container);
            }
            return created;
        };
        this.advisor = new DefaultPointcutAdvisor(pointcut, install);
        setProxyTargetClass(true);
    }
}
