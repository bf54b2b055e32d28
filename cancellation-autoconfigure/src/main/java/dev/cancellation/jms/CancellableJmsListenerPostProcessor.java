package dev.cancellation.jms;

import java.lang.reflect.Method;
import java.util.function.Supplier;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcherPointcut;
import org.springframework.jms.config.JmsListenerContainerFactory;
import org.springframework.jms.config.JmsListenerEndpoint;
import org.springframework.jms.listener.AbstractMessageListenerContainer;

/**
 * Makes every message of every Spring JMS listener container a listener invocation
 * ({@link CancellableMessageListener}):
 * <ul>
 *   <li>{@link JmsListenerContainerFactory} beans (Boot's {@code jmsListenerContainerFactory} and the
 *       application's own, which {@code @JmsListener} endpoints use) are advised: the containers they create get
 *       their listener wrapped, named after the endpoint's id. The bean stays an instance of its class (a Spring
 *       AOP proxy of the class advising only {@code createListenerContainer}), so injection by its concrete type
 *       and every other method reach the real factory;</li>
 *   <li>listener container beans the application defines itself get their listener wrapped after their
 *       initialization, named after the bean.</li>
 * </ul>
 * The settings are looked up when the first container is created, so that this post-processor, created early,
 * pulls no other bean into early creation.
 *
 * <p>Thread-safety: configured once at startup; the advice may be called from any thread.
 */
@SuppressWarnings("serial")
public class CancellableJmsListenerPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

    private final Supplier<JmsListenerSettings> settings;

    /** A post-processor that wraps listeners with the {@code settings} it gets when the first one is wrapped. */
    public CancellableJmsListenerPostProcessor(Supplier<JmsListenerSettings> settings) {
        this.settings = settings;
        this.advisor = new DefaultPointcutAdvisor(new CreateContainerPointcut(), new WrapListener(settings));
        setProxyTargetClass(true);
        setBeforeExistingAdvisors(true);
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof AbstractMessageListenerContainer container) {
            CancellableMessageListener.wrap(container, beanName, settings.get());
            return bean;
        }
        return super.postProcessAfterInitialization(bean, beanName);
    }

    /** {@code createListenerContainer(JmsListenerEndpoint)} of a listener container factory. */
    private static final class CreateContainerPointcut extends StaticMethodMatcherPointcut {

        CreateContainerPointcut() {
            setClassFilter(JmsListenerContainerFactory.class::isAssignableFrom);
        }

        @Override
        public boolean matches(Method method, Class<?> targetClass) {
            return method.getName().equals("createListenerContainer") && method.getParameterCount() == 1
                    && method.getParameterTypes()[0] == JmsListenerEndpoint.class;
        }
    }

    /** Wraps the listener of the container just created, before anyone can start it. */
    private record WrapListener(Supplier<JmsListenerSettings> settings) implements MethodInterceptor {

        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Object container = invocation.proceed();
            if (container instanceof AbstractMessageListenerContainer listening
                    && invocation.getArguments()[0] instanceof JmsListenerEndpoint endpoint) {
                CancellableMessageListener.wrap(listening, endpoint.getId(), settings.get());
            }
            return container;
        }
    }
}
