package dev.cancellation.amqp;

import org.springframework.amqp.rabbit.AsyncRabbitTemplate;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.aop.framework.AbstractAdvisingBeanPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.NameMatchMethodPointcut;

/**
 * Advises every {@link RabbitTemplate} and {@link AsyncRabbitTemplate} bean (Boot's, the application's own) so
 * that their request/reply calls made under a token wait no longer than its budget and stop when it is cancelled
 * ({@link BoundedReplyAdvice}). The bean becomes a proxy of its own class (it is still injected as
 * {@code RabbitTemplate}); everything else of it is its own.
 *
 * <p>Thread-safety: a bean post-processor; the advice it adds may run on any thread.
 */
public class RabbitTemplatePostProcessor extends AbstractAdvisingBeanPostProcessor {

    private static final long serialVersionUID = 1L;

    public RabbitTemplatePostProcessor() {
        NameMatchMethodPointcut pointcut = new NameMatchMethodPointcut();
        pointcut.setMappedNames("sendAndReceive", "convertSendAndReceive", "convertSendAndReceiveAsType");
        pointcut.setClassFilter(type -> RabbitTemplate.class.isAssignableFrom(type)
                || AsyncRabbitTemplate.class.isAssignableFrom(type));
        this.advisor = new DefaultPointcutAdvisor(pointcut, new BoundedReplyAdvice());
        setProxyTargetClass(true);
    }
}
