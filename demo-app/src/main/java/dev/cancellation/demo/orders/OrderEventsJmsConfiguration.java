package dev.cancellation.demo.orders;

import jakarta.jms.ConnectionFactory;
import org.springframework.boot.artemis.autoconfigure.ArtemisConfigurationCustomizer;
import org.springframework.boot.jms.autoconfigure.DefaultJmsListenerContainerFactoryConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jms.core.JmsTemplate;

/**
 * The JMS side of the order events: Boot's listener container factory, configured by Boot from
 * {@code spring.jms.listener.*} as usual, with {@link DeadLetterForwarder} as its error handler; and a smaller
 * journal for the embedded broker.
 */
@Configuration(proxyBeanMethods = false)
class OrderEventsJmsConfiguration {

    /** Replaces Boot's {@code jmsListenerContainerFactory} (same name, same configuration) for the error handler. */
    @Bean
    InHandMessageContainerFactory jmsListenerContainerFactory(DefaultJmsListenerContainerFactoryConfigurer configurer,
            ConnectionFactory connectionFactory, DeadLetterForwarder deadLetterForwarder) {
        InHandMessageContainerFactory factory = new InHandMessageContainerFactory();
        configurer.configure(factory, connectionFactory);
        factory.setErrorHandler(deadLetterForwarder);
        return factory;
    }

    @Bean
    DeadLetterForwarder deadLetterForwarder(JmsTemplate jmsTemplate, DeadLetters deadLetters,
            OrdersProperties properties) {
        return new DeadLetterForwarder(jmsTemplate, deadLetters, properties.deadLetterQueue());
    }

    /**
     * The embedded broker's journal (under {@code spring.artemis.embedded.data-directory} when
     * {@code spring.artemis.embedded.persistent=true}): two 1 MiB files instead of Artemis's 10 MiB ones, plenty for
     * a demo. A message in the queue survives a restart there: that is how a message rolled back at shutdown is
     * redelivered after the restart.
     */
    @Bean
    ArtemisConfigurationCustomizer smallJournal() {
        return configuration -> configuration.setJournalFileSize(1024 * 1024).setJournalMinFiles(2);
    }
}
