package dev.cancellation.autoconfigure;

import dev.cancellation.spring.CancellableAnnotationBeanPostProcessor;
import dev.cancellation.spring.CancellableDefaults;
import dev.cancellation.spring.TaskCancelledEventPublisher;
import dev.cancellation.task.TaskRegistry;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of the {@code @Cancellable} / {@code @OnCancel} infrastructure: the advising bean
 * post-processor and the publisher of {@link dev.cancellation.spring.TaskCancelledEvent}s.
 * {@code cancellation.enabled=false} turns it off; beans of the same types defined by the application win.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
public class CancellableAnnotationAutoConfiguration {

    /**
     * The post-processor that proxies beans with {@code @Cancellable} methods. Static and bound straight from the
     * {@link Environment}, because bean post-processors are created before other beans (such as the
     * {@link CancellationProperties} bean) can be.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static CancellableAnnotationBeanPostProcessor cancellableAnnotationBeanPostProcessor(
            Environment environment) {
        CancellationProperties properties = Binder.get(environment)
                .bindOrCreate("cancellation", CancellationProperties.class);
        CancellableAnnotationBeanPostProcessor postProcessor = new CancellableAnnotationBeanPostProcessor(
                cancellableDefaults(properties), properties.getAdvisorOrder());
        // Same proxy style as Boot's auto-proxy creator: class-based unless spring.aop.proxy-target-class=false.
        postProcessor.setProxyTargetClass(
                environment.getProperty("spring.aop.proxy-target-class", Boolean.class, Boolean.TRUE));
        return postProcessor;
    }

    /** Publishes a {@code TaskCancelledEvent} for every cancelled task. */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(TaskRegistry.class)
    public TaskCancelledEventPublisher taskCancelledEventPublisher(TaskRegistry registry,
            ApplicationEventPublisher publisher) {
        return new TaskCancelledEventPublisher(registry, publisher);
    }

    /** What empty {@code @Cancellable} attributes mean, from {@code cancellation.*}. */
    static CancellableDefaults cancellableDefaults(CancellationProperties properties) {
        return new CancellableDefaults(properties.getDefaultTimeout(), properties.isInterrupt(),
                properties.getInterruptAfter(), properties.getAbandonAfter());
    }
}
