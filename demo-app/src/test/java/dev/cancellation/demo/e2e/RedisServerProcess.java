package dev.cancellation.demo.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * A real {@code redis-server} process (the binary shipped in {@code com.github.codemonstur:embedded-redis}) on a
 * free loopback port, without persistence; it can be stopped and started again on the same port. A server that
 * cannot start fails the test.
 *
 * <p>Used from one test thread at a time.
 */
final class RedisServerProcess implements AutoCloseable {

    private final int port;

    private RedisServer server;

    private RedisServerProcess(int port) {
        this.port = port;
    }

    static RedisServerProcess start() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            port = socket.getLocalPort();
        }
        RedisServerProcess redis = new RedisServerProcess(port);
        redis.startAgain();
        return redis;
    }

    int port() {
        return port;
    }

    void startAgain() {
        try {
            server = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
                    .setting("appendonly no").build();
            server.start();
        } catch (IOException ex) {
            throw new UncheckedIOException("Could not start redis-server on 127.0.0.1:" + port, ex);
        }
    }

    void stop() {
        try {
            if (server != null && server.isActive()) {
                server.stop();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
