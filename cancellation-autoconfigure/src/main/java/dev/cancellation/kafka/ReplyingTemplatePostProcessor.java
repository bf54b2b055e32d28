package dev.cancellation.kafka;

import org.springframework.aop.framework.AbstractAdvisingBeanPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.NameMatchMethodPointcut;
import org.springframework.aop.support.RootClassFilter;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;

/**
 * Advises every {@link ReplyingKafkaTemplate} bean (and subclasses such as the aggregating one) so that its
 * {@code sendAndReceive} calls made under a token wait for the reply no longer than the token's budget and stop
 * at once when it is cancelled ({@link BoundedReplyInterceptor}). The bean becomes a proxy of its own class, so it
 * is still injected as {@code ReplyingKafkaTemplate}; its settings, reply container and lifecycle are its own.
 *
 * <p>Thread-safety: a bean post-processor; the advice it adds may run on any thread.
 */
public class ReplyingTemplatePostProcessor extends AbstractAdvisingBeanPostProcessor {

    private static final long serialVersionUID = 1L;

    public ReplyingTemplatePostProcessor() {
        NameMatchMethodPointcut pointcut = new NameMatchMethodPointcut();
        pointcut.setMappedName("sendAndReceive");
        pointcut.setClassFilter(new RootClassFilter(ReplyingKafkaTemplate.class));
        this.advisor = new DefaultPointcutAdvisor(pointcut, new BoundedReplyInterceptor());
        setProxyTargetClass(true);
    }
}
