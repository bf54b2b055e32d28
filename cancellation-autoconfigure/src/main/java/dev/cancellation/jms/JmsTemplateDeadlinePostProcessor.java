package dev.cancellation.jms;

import jakarta.jms.ConnectionFactory;
import java.util.function.Supplier;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.jms.core.JmsTemplate;

/**
 * Makes every {@link JmsTemplate} bean (Boot's, which its {@code JmsClient} and {@code JmsMessagingTemplate} use,
 * and the application's own) write the deadline of the token current at send time into the messages it sends: its
 * connection factory is replaced by a {@link DeadlineWritingConnectionFactory} around it. The template's other
 * settings, and the connection factory bean itself, are left alone.
 *
 * <p>Thread-safety: called by the container during startup only; the settings are looked up at the first send.
 */
public class JmsTemplateDeadlinePostProcessor implements BeanPostProcessor {

    private final Supplier<JmsListenerSettings> settings;

    /** A post-processor that writes the deadline property {@code settings} name. */
    public JmsTemplateDeadlinePostProcessor(Supplier<JmsListenerSettings> settings) {
        this.settings = settings;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof JmsTemplate template) {
            ConnectionFactory connectionFactory = template.getConnectionFactory();
            if (connectionFactory != null) {
                template.setConnectionFactory(DeadlineWritingConnectionFactory.wrap(connectionFactory, settings));
            }
        }
        return bean;
    }
}
