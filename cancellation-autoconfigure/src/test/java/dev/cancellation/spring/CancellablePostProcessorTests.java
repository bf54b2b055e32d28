package dev.cancellation.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.annotation.Cancellable;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.AutowireCapableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The advising post-processor keeps what Spring's {@code AbstractAdvisingBeanPostProcessor} does. */
class CancellablePostProcessorTests {

    @Test
    void anOriginalInstanceIsNotProxied() {
        String original = Service.class.getName() + AutowireCapableBeanFactory.ORIGINAL_INSTANCE_SUFFIX;
        CancellableTestSupport.runner().withBean(original, Service.class).withBean("service", Service.class)
                .run(context -> {
                    assertThat(AopUtils.isAopProxy(context.getBean(original))).isFalse();
                    assertThat(AopUtils.isAopProxy(context.getBean("service"))).isTrue();
                });
    }

    @Test
    void anExistingProxyGetsBothAdvicesAndAFrozenOneIsWrapped() {
        CancellableTestSupport.runner().withUserConfiguration(Proxies.class).run(context -> {
            assertThat(CancellableWithSpringAnnotationsTests.labels(context.getBean("open")))
                    .containsExactly("cancellable", "attach");
            Object frozen = context.getBean("frozen");
            assertThat(((Advised) frozen).isFrozen()).isFalse(); // a new proxy around the frozen one
            assertThat(CancellableWithSpringAnnotationsTests.labels(frozen)).containsExactly("cancellable", "attach");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Proxies {
        @Bean
        Object open() {
            ProxyFactory factory = new ProxyFactory(new Service());
            factory.setProxyTargetClass(true);
            return factory.getProxy();
        }

        @Bean
        Object frozen() {
            ProxyFactory factory = new ProxyFactory(new Service());
            factory.setProxyTargetClass(true);
            factory.setFrozen(true);
            return factory.getProxy();
        }
    }

    static class Service {
        @Cancellable
        public void work() {
        }
    }
}
