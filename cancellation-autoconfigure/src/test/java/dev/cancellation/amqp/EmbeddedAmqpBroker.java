package dev.cancellation.amqp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.qpid.server.SystemLauncher;
import org.apache.qpid.server.model.SystemConfig;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;

/**
 * A real AMQP 0-9-1 broker, Apache Qpid Broker-J, in this JVM on a free loopback port, with in-memory queues and the
 * user {@code guest}/{@code guest}. One per JVM ({@link #shared()}), started by the first test that needs it; a
 * broker that cannot start fails the test: there is no skipping.
 *
 * <p>Thread-safety: {@link #shared()} may be called from any thread; the broker itself is thread-safe.
 */
public final class EmbeddedAmqpBroker {

    private static EmbeddedAmqpBroker shared;

    private final int port;

    private EmbeddedAmqpBroker(int port) {
        this.port = port;
    }

    /** The JVM's broker, started on first use and stopped when the JVM exits. */
    public static synchronized EmbeddedAmqpBroker shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    private static EmbeddedAmqpBroker start() {
        URL config = Objects.requireNonNull(EmbeddedAmqpBroker.class.getResource("qpid-broker.json"),
                "qpid-broker.json");
        int port = freePort();
        try {
            Path work = Files.createTempDirectory("qpid-broker");
            Map<String, String> context = new HashMap<>();
            context.put("qpid.amqp_port", Integer.toString(port));
            context.put(SystemConfig.QPID_WORK_DIR, work.toString());
            Map<String, Object> attributes = new HashMap<>();
            attributes.put(SystemConfig.TYPE, "Memory");
            attributes.put(SystemConfig.INITIAL_CONFIGURATION_LOCATION, config.toExternalForm());
            attributes.put(SystemConfig.STARTUP_LOGGED_TO_SYSTEM_OUT, false);
            attributes.put(SystemConfig.CONTEXT, context);
            SystemLauncher launcher = new SystemLauncher();
            launcher.startup(attributes);
            Runtime.getRuntime().addShutdownHook(new Thread(launcher::shutdown, "qpid-broker-shutdown"));
        } catch (Exception ex) {
            throw new IllegalStateException("Could not start the AMQP broker (Qpid Broker-J) on 127.0.0.1:" + port,
                    ex);
        }
        return new EmbeddedAmqpBroker(port);
    }

    /** The broker's AMQP port on 127.0.0.1. */
    public int port() {
        return port;
    }

    /** The Spring Boot properties that point {@code spring.rabbitmq.*} at this broker. */
    public String[] properties() {
        return new String[] {"spring.rabbitmq.host=127.0.0.1", "spring.rabbitmq.port=" + port,
            "spring.rabbitmq.username=guest", "spring.rabbitmq.password=guest"};
    }

    /** A connection factory for this broker (the caller destroys it). */
    public CachingConnectionFactory connectionFactory() {
        CachingConnectionFactory factory = new CachingConnectionFactory("127.0.0.1", port);
        factory.setUsername("guest");
        factory.setPassword("guest");
        return factory;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
