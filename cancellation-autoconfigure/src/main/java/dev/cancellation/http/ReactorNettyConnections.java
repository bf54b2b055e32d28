package dev.cancellation.http;

import java.io.Closeable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.jspecify.annotations.Nullable;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Gives up the connection of a response of Spring's Reactor Netty request factory. Closing that response's body
 * only cancels the body subscription, and Reactor Netty keeps reading the rest to reuse the connection, so the
 * downstream never learns that the caller left; disposing the Netty connection closes it at once. Spring exposes
 * that connection nowhere, so it is read from the response's {@code connection} field; if that field is not
 * there (another Spring version), only the body is closed.
 *
 * <p>Thread-safety: stateless after class initialisation; the returned closer may run on any thread.
 */
final class ReactorNettyConnections {

    private static final String RESPONSE_CLASS = "org.springframework.http.client.ReactorClientHttpResponse";

    private static final @Nullable MethodHandle CONNECTION = connectionGetter();

    private ReactorNettyConnections() {
    }

    /** What gives up the Netty connection of {@code response}; {@code null} if it has none we can reach. */
    static @Nullable Closeable connectionOf(ClientHttpResponse response) {
        if (CONNECTION != null && response.getClass().getName().equals(RESPONSE_CLASS)) {
            try {
                return Netty.closer(CONNECTION.invoke(response));
            } catch (Throwable ignored) {
                return null; // the body is still closed
            }
        }
        return null;
    }

    /** The only code that names Reactor Netty types: loaded only once the getter was found. */
    private static final class Netty {

        static @Nullable Closeable closer(@Nullable Object connection) {
            if (connection instanceof reactor.netty.DisposableChannel channel) {
                return channel::dispose;
            }
            return null;
        }
    }

    /** The getter of the response's Netty connection; {@code null} without Reactor Netty or that field. */
    private static @Nullable MethodHandle connectionGetter() {
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
