package dev.cancellation.bench.jms;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationJmsAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.bench.messaging.ListenerApplication;
import dev.cancellation.jms.CancellableMessageListener;
import jakarta.jms.Connection;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSException;
import jakarta.jms.MessageProducer;
import jakarta.jms.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.activemq.artemis.api.core.TransportConfiguration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.remoting.impl.invm.InVMAcceptorFactory;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.jms.annotation.EnableJms;
import org.springframework.jms.config.DefaultJmsListenerContainerFactory;
import org.springframework.jms.config.JmsListenerEndpointRegistry;
import org.springframework.jms.listener.AbstractMessageListenerContainer;

/**
 * One JMS application for the JMS rows: an in-VM embedded Artemis broker of its own (no persistence, a rolled-back
 * message redelivered at once and never dead-lettered), a listener container factory set up as Boot's
 * {@code jmsListenerContainerFactory} is (transacted sessions, one consumer, 1 s receive timeout, the broker's
 * plain connection factory), one {@code @JmsListener} with id {@code orders} on {@value #QUEUE}, and the starter's
 * auto-configuration with its JMS edge on or off ({@code cancellation.jms.enabled}).
 *
 * <p>Boot's JMS and Artemis auto-configurations are not used: with them on the benchmarks' class path, every other
 * row's auto-configured context would start a broker too. The starter's graceful shutdown
 * ({@code CancellationShutdownAutoConfiguration}) is left out as well, so that {@code context.stop()} stops the
 * listener containers (and the edge's drain and cancel) without shutting the task registry down, and
 * {@code context.start()} starts them again.
 */
final class JmsBenchApplication implements ListenerApplication {

    static final String QUEUE = "bench.orders";

    private static final AtomicInteger serverIds = new AtomicInteger(100);

    private final EmbeddedActiveMQ broker;
    private final ActiveMQConnectionFactory connectionFactory;
    private final ConfigurableApplicationContext context;
    private final Connection producerConnection;
    private final Session producerSession;
    private final MessageProducer producer;

    private JmsBenchApplication(EmbeddedActiveMQ broker, ActiveMQConnectionFactory connectionFactory,
            ConfigurableApplicationContext context) throws JMSException {
        this.broker = broker;
        this.connectionFactory = connectionFactory;
        this.context = context;
        this.producerConnection = connectionFactory.createConnection();
        this.producerSession = producerConnection.createSession(false, Session.AUTO_ACKNOWLEDGE);
        this.producer = producerSession.createProducer(producerSession.createQueue(QUEUE));
        producer.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
    }

    /**
     * Starts a broker and the application around {@code listener} (a bean with a {@code @JmsListener(id =
     * "orders", destination = QUEUE)} method), and checks that the edge wraps the listener exactly when
     * {@code edge} is on, so that neither row measures the other.
     */
    static JmsBenchApplication start(boolean edge, Object listener, String... properties) throws Exception {
        int serverId = serverIds.incrementAndGet();
        EmbeddedActiveMQ broker = startBroker(serverId);
        ActiveMQConnectionFactory connectionFactory = new ActiveMQConnectionFactory("vm://" + serverId);
        String[] all = new String[properties.length + 5];
        all[0] = "spring.main.banner-mode=off";
        all[1] = "spring.main.log-startup-info=false";
        all[2] = "spring.jmx.enabled=false";
        all[3] = "cancellation.jms.enabled=" + edge;
        all[4] = "logging.level.org.apache.activemq=warn";
        System.arraycopy(properties, 0, all, 5, properties.length);
        ConfigurableApplicationContext context;
        try {
            context = new SpringApplicationBuilder(JmsBenchConfiguration.class)
                    .web(WebApplicationType.NONE)
                    .properties(all)
                    .initializers(app -> {
                        GenericApplicationContext generic = (GenericApplicationContext) app;
                        generic.registerBean("connectionFactory", ActiveMQConnectionFactory.class,
                                () -> connectionFactory);
                        // A bean definition, not a singleton instance: Spring JMS finds @JmsListener methods by
                        // post-processing beans.
                        register(generic, listener);
                    })
                    .run();
        } catch (RuntimeException ex) {
            broker.stop();
            throw ex;
        }
        AbstractMessageListenerContainer container = (AbstractMessageListenerContainer) context
                .getBean(JmsListenerEndpointRegistry.class).getListenerContainer("orders");
        boolean wrapped = container != null
                && container.getMessageListener() instanceof CancellableMessageListener;
        if (wrapped != edge) {
            context.close();
            broker.stop();
            throw new IllegalStateException("The JMS edge is " + (edge ? "on" : "off") + " but the listener of "
                    + "container 'orders' is " + (wrapped ? "" : "not ") + "wrapped: " + container);
        }
        return new JmsBenchApplication(broker, connectionFactory, context);
    }

    @SuppressWarnings("unchecked")
    private static <T> void register(GenericApplicationContext context, T listener) {
        context.registerBean("listener", (Class<T>) listener.getClass(), () -> listener);
    }

    @Override
    public ConfigurableApplicationContext context() {
        return context;
    }

    /** Sends a text message to {@value #QUEUE} (non-persistent, from a producer outside the application). */
    @Override
    public void send(String text) throws JMSException {
        producer.send(producerSession.createTextMessage(text));
    }

    /**
     * A message as the application's listener receives it: sent to a queue of its own and received from the
     * broker (an Artemis message with its id and delivery count), for rows that hand it to the listener directly.
     */
    jakarta.jms.Message receivedSample() throws JMSException {
        jakarta.jms.Queue queue = producerSession.createQueue(QUEUE + ".sample");
        try (MessageProducer sampleProducer = producerSession.createProducer(queue);
                jakarta.jms.MessageConsumer consumer = producerSession.createConsumer(queue)) {
            producerConnection.start();
            sampleProducer.send(producerSession.createTextMessage("order"));
            jakarta.jms.Message message = consumer.receive(10_000);
            if (message == null) {
                throw new IllegalStateException("No sample message from the broker within 10 s");
            }
            return message;
        }
    }

    /** The session the producer and {@link #receivedSample()} use (not transacted). */
    Session session() {
        return producerSession;
    }

    @Override
    public void close() throws Exception {
        try {
            producerConnection.close();
            context.close();
            connectionFactory.close();
        } finally {
            broker.stop();
        }
    }

    private static EmbeddedActiveMQ startBroker(int serverId) throws Exception {
        Path data = Files.createTempDirectory("bench-artemis");
        ConfigurationImpl configuration = new ConfigurationImpl();
        configuration.setPersistenceEnabled(false);
        configuration.setSecurityEnabled(false);
        configuration.setJMXManagementEnabled(false);
        configuration.setJournalDirectory(data.resolve("journal").toString());
        configuration.setBindingsDirectory(data.resolve("bindings").toString());
        configuration.setLargeMessagesDirectory(data.resolve("large").toString());
        configuration.setPagingDirectory(data.resolve("paging").toString());
        configuration.addAcceptorConfiguration(
                new TransportConfiguration(InVMAcceptorFactory.class.getName(), Map.of("serverId", serverId)));
        configuration.addAddressSetting("#", new AddressSettings().setRedeliveryDelay(0)
                .setMaxDeliveryAttempts(-1).setAutoCreateQueues(true).setAutoCreateAddresses(true));
        EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
        broker.setConfiguration(configuration);
        broker.start();
        return broker;
    }

    /** The application: Spring JMS's annotation support, the listener factory, the starter's auto-configuration. */
    @Configuration(proxyBeanMethods = false)
    @EnableJms
    @ImportAutoConfiguration({CancellationAutoConfiguration.class, CancellationMessagingAutoConfiguration.class,
            CancellationJmsAutoConfiguration.class})
    static class JmsBenchConfiguration {

        /** As Boot configures its {@code jmsListenerContainerFactory} without a transaction manager. */
        @Bean
        DefaultJmsListenerContainerFactory jmsListenerContainerFactory(jakarta.jms.ConnectionFactory connectionFactory) {
            DefaultJmsListenerContainerFactory factory = new DefaultJmsListenerContainerFactory();
            factory.setConnectionFactory(connectionFactory);
            factory.setSessionTransacted(true);
            factory.setConcurrency("1");
            factory.setReceiveTimeout(1000L);
            return factory;
        }
    }
}
