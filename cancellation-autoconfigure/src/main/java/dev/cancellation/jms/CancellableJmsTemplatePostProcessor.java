package dev.cancellation.jms;

import jakarta.jms.ConnectionFactory;
import java.util.function.Supplier;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.jms.core.JmsTemplate;

/**
 * Makes every {@link JmsTemplate} bean (Boot's, which its {@code JmsClient} and {@code JmsMessagingTemplate} use,
 * and the application's own) follow the current token: it writes the token's deadline into the messages it sends
 * (unless turned off), and its receives (the wait for the reply of {@code sendAndReceive} included) wait no longer
 * than the token's budget and stop when it is cancelled. Its connection factory is replaced by a
 * {@link CancellableConnectionFactory} around it; the template's other settings, and the connection factory bean
 * itself, are left alone.
 *
 * <p>Thread-safety: called by the container during startup only; the settings are looked up at the first send.
 */
public class CancellableJmsTemplatePostProcessor implements BeanPostProcessor {

    private final Supplier<JmsListenerSettings> settings;
    private final boolean writeDeadline;

    /**
     * @param settings the deadline property's name and policy
     * @param writeDeadline whether sends write the deadline
     */
    public CancellableJmsTemplatePostProcessor(Supplier<JmsListenerSettings> settings, boolean writeDeadline) {
        this.settings = settings;
        this.writeDeadline = writeDeadline;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof JmsTemplate template) {
            ConnectionFactory connectionFactory = template.getConnectionFactory();
            if (connectionFactory != null) {
                template.setConnectionFactory(CancellableConnectionFactory.wrap(connectionFactory, settings,
                        writeDeadline));
            }
        }
        return bean;
    }
}
