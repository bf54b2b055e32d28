package dev.cancellation.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import redis.embedded.RedisServer;

/**
 * A real {@code redis-server} (the binary shipped in {@code com.github.codemonstur:embedded-redis}) on a free
 * loopback port, without persistence. It can be stopped and started again on the same port. A server that cannot
 * start fails the test: there is no skipping.
 */
public final class TestRedis implements AutoCloseable {

    private final int port;

    private RedisServer server;

    private TestRedis(int port) {
        this.port = port;
    }

    /** Starts a server on a free port. */
    public static TestRedis start() {
        TestRedis redis = new TestRedis(freePort());
        redis.startAgain();
        return redis;
    }

    public int port() {
        return port;
    }

    /** Starts the server (again) on its port. */
    public synchronized void startAgain() {
        try {
            server = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
                    .setting("appendonly no").build();
            server.start();
        } catch (IOException ex) {
            throw new UncheckedIOException("Could not start redis-server on 127.0.0.1:" + port, ex);
        }
    }

    /** Stops the server (connections drop; data is lost). */
    public synchronized void stop() {
        try {
            if (server != null && server.isActive()) {
                server.stop();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A started Lettuce connection factory for this server, with a short command timeout. */
    public LettuceConnectionFactory connectionFactory() {
        LettuceConnectionFactory factory = new LettuceConnectionFactory(
                new RedisStandaloneConfiguration("127.0.0.1", port),
                LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2)).build());
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
