package dev.cancellation.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.annotation.Cancellable;
import java.util.Arrays;
import java.util.List;
import org.aopalliance.intercept.MethodInterceptor;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.autoproxy.DefaultAdvisorAutoProxyCreator;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.core.Ordered;

/**
 * Placement of the {@code @Cancellable} advice among advisors applied by an auto-proxy creator (which runs before
 * every advising post-processor): always outside them, whatever their advisor order, as Spring's own advising
 * post-processors do.
 */
class CancellableAdvisorOrderTests {

    @Test
    void byDefaultOutsideTransactionLikeAdvice() {
        placement(null, Ordered.LOWEST_PRECEDENCE, List.of("cancellable", "tx", "attach"));
    }

    @Test
    void outsideAutoProxiedAdviceOfAnyOrder() {
        placement(null, Ordered.HIGHEST_PRECEDENCE, List.of("cancellable", "tx", "attach"));
    }


    private static void placement(String property, int otherOrder, List<String> expected) {
        var runner = CancellableTestSupport.runner().withBean(Service.class)
                .withBean(DefaultAdvisorAutoProxyCreator.class)
                .withBean("txLikeAdvisor", Advisor.class, () -> {
                    DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(
                            new AnnotationMatchingPointcut(null, Cancellable.class), new TxLike());
                    advisor.setOrder(otherOrder);
                    return advisor;
                });
        if (property != null) {
            runner = runner.withPropertyValues(property);
        }
        runner.run(context -> {
            Advisor[] advisors = ((Advised) context.getBean(Service.class)).getAdvisors();
            assertThat(Arrays.stream(advisors).map(CancellableAdvisorOrderTests::label).toList())
                    .containsExactlyElementsOf(expected);
        });
    }

    private static String label(Advisor advisor) {
        Object advice = advisor.getAdvice();
        if (advice instanceof CancellableInterceptor) {
            return "cancellable";
        }
        if (advice instanceof CancellableAttachInterceptor) {
            return "attach";
        }
        return (advice instanceof TxLike) ? "tx" : advice.getClass().getName();
    }

    static final class TxLike implements MethodInterceptor {
        @Override
        public Object invoke(org.aopalliance.intercept.MethodInvocation invocation) throws Throwable {
            return invocation.proceed();
        }
    }

    static class Service {
        @Cancellable
        public void work() {
        }
    }
}
