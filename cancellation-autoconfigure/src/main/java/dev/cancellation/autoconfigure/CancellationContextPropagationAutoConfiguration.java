package dev.cancellation.autoconfigure;

import dev.cancellation.spring.CancellationTokenAccessor;
import io.micrometer.context.ContextRegistry;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.task.TaskDecorator;
import org.springframework.core.task.support.ContextPropagatingTaskDecorator;

/**
 * Auto-configuration of context propagation of the current token, when Micrometer's context-propagation library
 * is present: makes sure {@link CancellationTokenAccessor} is registered with the global {@link ContextRegistry}
 * (it also is through {@code META-INF/services}), and, with {@code cancellation.context-propagation.task-decorator
 * =true}, defines a {@link ContextPropagatingTaskDecorator} that Boot applies to its executors.
 *
 * <p>Boot composes every {@link TaskDecorator} bean into the decorator of its executors, so a second
 * propagating decorator would wrap each task twice. Ours therefore backs off when any {@code TaskDecorator} bean
 * exists, including the one Spring Boot 4.1 defines for {@code spring.task.execution.propagate-context=true}
 * (which carries the current token as well, since it propagates every registered accessor): this configuration
 * runs after Boot's task execution configuration so that it sees that bean.
 */
@AutoConfiguration(after = org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
@ConditionalOnClass(ContextRegistry.class)
public class CancellationContextPropagationAutoConfiguration {

    /** Registers the token accessor with the global registry, in case the service file was not loaded. */
    @Bean
    public static CancellationTokenAccessorRegistrar cancellationTokenAccessorRegistrar() {
        return new CancellationTokenAccessorRegistrar();
    }

    /** Propagates every registered context value, the current token included, to tasks of Boot's executors. */
    @Bean
    @ConditionalOnMissingBean(TaskDecorator.class)
    @ConditionalOnBooleanProperty(name = "cancellation.context-propagation.task-decorator")
    public ContextPropagatingTaskDecorator cancellationContextPropagatingTaskDecorator() {
        return new ContextPropagatingTaskDecorator();
    }

    /** Registers {@link CancellationTokenAccessor} with {@link ContextRegistry#getInstance()} if it is missing. */
    public static final class CancellationTokenAccessorRegistrar implements InitializingBean {

        @Override
        public void afterPropertiesSet() {
            ContextRegistry registry = ContextRegistry.getInstance();
            boolean present = registry.getThreadLocalAccessors().stream()
                    .anyMatch(accessor -> CancellationTokenAccessor.KEY.equals(accessor.key()));
            if (!present) {
                registry.registerThreadLocalAccessor(new CancellationTokenAccessor());
            }
        }
    }
}
