package dev.cancellation.jms;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;

/**
 * One real Artemis broker for the JMS tests of the JVM, started on first use on a free loopback port (TCP, so that
 * several application contexts share it like separate services would, and a context that stops does not take the
 * broker down). A broker that fails to start fails the test.
 */
public final class EmbeddedArtemis {

    private static EmbeddedActiveMQ server;
    private static String url;

    private EmbeddedArtemis() {
    }

    /** The broker's URL, {@code tcp://127.0.0.1:<port>}; starts the broker on first use. */
    public static synchronized String url() {
        if (server == null) {
            try {
                // The broker's audit log writes a line per message at INFO.
                ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.activemq"))
                        .setLevel(ch.qos.logback.classic.Level.WARN);
                int port;
                try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    port = socket.getLocalPort();
                }
                Path data = Files.createTempDirectory("artemis-test");
                ConfigurationImpl configuration = new ConfigurationImpl();
                configuration.setPersistenceEnabled(false);
                configuration.setSecurityEnabled(false);
                configuration.setJournalDirectory(data.resolve("journal").toString());
                configuration.setBindingsDirectory(data.resolve("bindings").toString());
                configuration.setLargeMessagesDirectory(data.resolve("large").toString());
                configuration.setPagingDirectory(data.resolve("paging").toString());
                configuration.addAcceptorConfiguration("tcp", "tcp://127.0.0.1:" + port);
                // A rolled-back message comes back at once, and at most 10 times (the broker's default).
                configuration.addAddressSetting("#", new AddressSettings().setRedeliveryDelay(0)
                        .setMaxDeliveryAttempts(10).setAutoCreateQueues(true).setAutoCreateAddresses(true));
                EmbeddedActiveMQ broker = new EmbeddedActiveMQ();
                broker.setConfiguration(configuration);
                broker.start();
                server = broker;
                url = "tcp://127.0.0.1:" + port;
                Runtime.getRuntime().addShutdownHook(new Thread(EmbeddedArtemis::stop, "artemis-test-stop"));
            } catch (Exception ex) {
                throw new IllegalStateException("Could not start the test's Artemis broker", ex);
            }
        }
        return url;
    }

    /** Boot's properties for a client of the broker. */
    public static String[] properties() {
        return new String[] {"spring.artemis.mode=native", "spring.artemis.broker-url=" + url()};
    }

    private static synchronized void stop() {
        try {
            if (server != null) {
                server.stop();
            }
        } catch (Exception ex) {
            // the JVM is ending
        }
    }
}
