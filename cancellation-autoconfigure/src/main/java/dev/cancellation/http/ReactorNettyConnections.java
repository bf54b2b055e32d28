package dev.cancellation.http;

import java.io.Closeable;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Gives up the connection of a response of Spring's Reactor Netty request factory. Closing that response's body
 * only cancels the body subscription, and Reactor Netty keeps reading the rest to reuse the connection, so the
 * downstream never learns that the caller left; disposing the Netty connection closes it at once. Spring exposes
 * that connection nowhere, so it is read from the response's {@code connection} field; if that field is not
 * there (another Spring version), this falls back to closing the body.
 *
 * <p>Thread-safety: stateless after class initialisation; the returned closer may run on any thread.
 */
final class ReactorNettyConnections {

    private static final String RESPONSE_CLASS = "org.springframework.http.client.ReactorClientHttpResponse";

    private static final MethodHandle CONNECTION = connectionGetter();

    private ReactorNettyConnections() {
    }

    /** What closes {@code response} on abort: its Netty connection if it has one, else {@code body}. */
    static Closeable closerFor(ClientHttpResponse response, InputStream body) {
        if (CONNECTION != null && response.getClass().getName().equals(RESPONSE_CLASS)) {
            try {
                return Netty.closer(CONNECTION.invoke(response), body);
            } catch (Throwable ignored) {
                // fall back to closing the body
            }
        }
        return body;
    }

    /** The only code that names Reactor Netty types: loaded only once the getter was found. */
    private static final class Netty {

        static Closeable closer(Object connection, InputStream body) {
            if (connection instanceof reactor.netty.DisposableChannel channel) {
                return () -> {
                    channel.dispose();
                    body.close();
                };
            }
            return body;
        }
    }

    private static MethodHandle connectionGetter() {
        try {
            ClassLoader loader = ReactorNettyConnections.class.getClassLoader();
            Class.forName("reactor.netty.DisposableChannel", false, loader);
            Class<?> type = Class.forName(RESPONSE_CLASS, false, loader);
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
            return lookup.findGetter(type, "connection", Class.forName("reactor.netty.Connection", false, loader))
                    .asType(MethodType.methodType(Object.class, Object.class));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException unavailable) {
            return null;
        }
    }
}
