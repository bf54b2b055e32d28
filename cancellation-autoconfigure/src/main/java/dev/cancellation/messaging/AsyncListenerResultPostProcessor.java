package dev.cancellation.messaging;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import org.springframework.aop.ClassFilter;
import org.springframework.aop.Pointcut;
import org.springframework.aop.framework.AbstractAdvisingBeanPostProcessor;
import org.springframework.aop.support.ComposablePointcut;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.StaticMethodMatcher;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Advises the asynchronous listener methods of beans, those annotated with one of the given listener annotations
 * ({@code @KafkaListener}, {@code @RabbitListener}, ...) that return a {@code CompletableFuture} or a Reactor
 * {@code Mono}, with the {@link AsyncListenerResultInterceptor}: their invocation ends with their result. Other
 * beans are not proxied; an advised bean becomes a proxy of its own class.
 *
 * <p>Ordering: the listener annotations' own post-processors (spring-kafka's, Spring AMQP's) register the bean they
 * are handed, with the default order {@link Ordered#LOWEST_PRECEDENCE}; this one runs just before them, so that
 * they register the proxy.
 *
 * <p>Thread-safety: a bean post-processor; the advice it adds runs on the listener threads.
 */
public class AsyncListenerResultPostProcessor extends AbstractAdvisingBeanPostProcessor {

    private static final long serialVersionUID = 1L;

    /** @param listenerAnnotations the annotations that mark listener methods (none: nothing is advised) */
    public AsyncListenerResultPostProcessor(Collection<Class<? extends Annotation>> listenerAnnotations) {
        StaticMethodMatcher asyncListener = new StaticMethodMatcher() {
            @Override
            public boolean matches(Method method, Class<?> targetClass) {
                return returnsAsync(method) && listenerAnnotations.stream()
                        .anyMatch(annotation -> AnnotatedElementUtils.hasAnnotation(method, annotation));
            }
        };
        Pointcut pointcut = new ComposablePointcut(ClassFilter.TRUE, asyncListener);
        this.advisor = new DefaultPointcutAdvisor(pointcut, new AsyncListenerResultInterceptor());
        setProxyTargetClass(true);
        setOrder(Ordered.LOWEST_PRECEDENCE - 1);
    }

    private static boolean returnsAsync(Method method) {
        Class<?> type = method.getReturnType();
        return CompletableFuture.class.isAssignableFrom(type) || (AsyncListenerResultInterceptor.REACTOR_PRESENT
                && "reactor.core.publisher.Mono".equals(type.getName()));
    }
}
