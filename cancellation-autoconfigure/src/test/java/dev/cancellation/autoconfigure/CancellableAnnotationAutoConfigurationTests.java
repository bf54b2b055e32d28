package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.annotation.Cancellable;
import dev.cancellation.spring.CancellableAnnotationBeanPostProcessor;
import dev.cancellation.spring.CancellableDefaults;
import dev.cancellation.spring.CancellationTokenAccessor;
import dev.cancellation.spring.TaskCancelledEventPublisher;
import dev.cancellation.task.TaskRegistry;
import io.micrometer.context.ContextRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.Ordered;
import org.springframework.core.task.TaskDecorator;
import org.springframework.core.task.support.ContextPropagatingTaskDecorator;

/** Every condition of the {@code @Cancellable} and context-propagation auto-configurations. */
class CancellableAnnotationAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                    CancellableAnnotationAutoConfiguration.class,
                    CancellationContextPropagationAutoConfiguration.class));

    @Test
    void defaultsDefineTheInfrastructure() {
        runner.withBean(Service.class).run(context -> {
            assertThat(context).hasSingleBean(CancellableAnnotationBeanPostProcessor.class)
                    .hasSingleBean(TaskCancelledEventPublisher.class).hasSingleBean(TaskRegistry.class)
                    .hasSingleBean(CancellationContextPropagationAutoConfiguration
                            .CancellationTokenAccessorRegistrar.class)
                    .doesNotHaveBean(TaskDecorator.class);
            assertThat(context.getBean(CancellableAnnotationBeanPostProcessor.class).getOrder())
                    .isEqualTo(Ordered.LOWEST_PRECEDENCE);
            assertThat(AopUtils.isCglibProxy(context.getBean(Service.class))).isTrue();
            assertThat(ContextRegistry.getInstance().getThreadLocalAccessors())
                    .anyMatch(accessor -> CancellationTokenAccessor.KEY.equals(accessor.key()));
        });
    }

    @Test
    void disabledTurnsEverythingOff() {
        runner.withBean(Service.class).withPropertyValues("cancellation.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(CancellableAnnotationBeanPostProcessor.class)
                    .doesNotHaveBean(TaskCancelledEventPublisher.class).doesNotHaveBean(TaskRegistry.class)
                    .doesNotHaveBean(CancellationContextPropagationAutoConfiguration
                            .CancellationTokenAccessorRegistrar.class);
            assertThat(AopUtils.isAopProxy(context.getBean(Service.class))).isFalse();
        });
    }

    @Test
    void advisorOrderIsConfigurable() {
        runner.withPropertyValues("cancellation.advisor-order=5").run(context -> assertThat(
                context.getBean(CancellableAnnotationBeanPostProcessor.class).getAdvisorOrder()).isEqualTo(5));
    }

    @Test
    void proxyStyleFollowsSpringAopProxyTargetClass() {
        runner.withBean(Service.class).withPropertyValues("spring.aop.proxy-target-class=false")
                .run(context -> assertThat(AopUtils.isJdkDynamicProxy(context.getBean(Contract.class))).isTrue());
    }

    @Test
    void userBeansWin() {
        CancellableAnnotationBeanPostProcessor own = new CancellableAnnotationBeanPostProcessor();
        runner.withBean("ownPostProcessor", CancellableAnnotationBeanPostProcessor.class, () -> own)
                .withBean("ownPublisher", TaskCancelledEventPublisher.class,
                        () -> new TaskCancelledEventPublisher(new TaskRegistry(), event -> { }))
                .run(context -> {
                    assertThat(context).hasSingleBean(CancellableAnnotationBeanPostProcessor.class)
                            .hasSingleBean(TaskCancelledEventPublisher.class);
                    assertThat(context.getBean(CancellableAnnotationBeanPostProcessor.class)).isSameAs(own);
                    assertThat(context).hasBean("ownPublisher");
                });
    }

    @Test
    void noRegistryNoEventPublisher() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellableAnnotationAutoConfiguration.class))
                .run(context -> assertThat(context).hasSingleBean(CancellableAnnotationBeanPostProcessor.class)
                        .doesNotHaveBean(TaskCancelledEventPublisher.class));
    }

    @Test
    void taskDecoratorIsOptIn() {
        runner.withPropertyValues("cancellation.context-propagation.task-decorator=true").run(context ->
                assertThat(context).hasSingleBean(ContextPropagatingTaskDecorator.class));
    }

    @Test
    void userTaskDecoratorWins() {
        runner.withPropertyValues("cancellation.context-propagation.task-decorator=true")
                .withBean(TaskDecorator.class, () -> runnable -> runnable)
                .run(context -> assertThat(context).hasSingleBean(TaskDecorator.class)
                        .doesNotHaveBean(ContextPropagatingTaskDecorator.class));
    }

    @Test
    void withoutContextPropagationLibraryNoPropagationBeans() {
        runner.withClassLoader(new FilteredClassLoader(ContextRegistry.class))
                .withPropertyValues("cancellation.context-propagation.task-decorator=true")
                .run(context -> assertThat(context)
                        .doesNotHaveBean(CancellationContextPropagationAutoConfiguration
                                .CancellationTokenAccessorRegistrar.class)
                        .doesNotHaveBean(TaskDecorator.class)
                        .hasSingleBean(CancellableAnnotationBeanPostProcessor.class));
    }

    interface Contract {
        void work();
    }

    static class Service implements Contract {
        @Override
        @Cancellable
        public void work() {
        }
    }

    /** The glue's own defaults, for code that builds the advice without Boot, are those of the properties. */
    @Test
    void theDefaultsOfAnUnconfiguredApplicationAreThoseOfTheProperties() {
        assertThat(CancellableAnnotationAutoConfiguration.cancellableDefaults(new CancellationProperties()))
                .isEqualTo(CancellableDefaults.defaults());
    }
}
