package dev.cancellation.http;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.http.client.reactive.ClientHttpRequest;
import reactor.netty.http.client.HttpClientRequest;

/**
 * Per-request response timeout on Reactor Netty, lowered to the budget but never raised: Reactor Netty's
 * {@code HttpClientRequest.responseTimeout(Duration)} replaces the timeout of the client
 * ({@code HttpClient.responseTimeout}) or an earlier per-request one, so setting the budget blindly would lengthen
 * a shorter timeout the application chose. Reactor Netty has no getter for it; the current value is read from
 * the request's {@code responseTimeout} field (where Reactor Netty copies the client's before the request is
 * sent). Where that field cannot be read (another Reactor Netty version, a module path that does not open it),
 * the timeout is left as it is: the abort at the deadline still ends the call. Loaded only when Reactor Netty is
 * present.
 *
 * <p>Thread-safety: stateless after class initialisation.
 */
final class ReactorNettyTimeouts {

    private static final @Nullable MethodHandle CURRENT = currentTimeoutGetter();

    private ReactorNettyTimeouts() {
    }

    /** Sets {@code budget} as the request's response timeout if it has none, or a longer one. */
    static void lowerResponseTimeout(ClientHttpRequest request, Duration budget) {
        if (CURRENT != null && request.getNativeRequest() instanceof HttpClientRequest nativeRequest) {
            Duration current;
            try {
                current = (Duration) CURRENT.invoke(nativeRequest);
            } catch (Throwable unreadable) {
                return; // never lengthen what we cannot see
            }
            if (current == null || current.compareTo(budget) > 0) {
                nativeRequest.responseTimeout(budget);
            }
        }
    }

    private static @Nullable MethodHandle currentTimeoutGetter() {
        try {
            Class<?> type = Class.forName("reactor.netty.http.client.HttpClientOperations", false,
                    ReactorNettyTimeouts.class.getClassLoader());
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(type, MethodHandles.lookup());
            return lookup.findGetter(type, "responseTimeout", Duration.class)
                    .asType(java.lang.invoke.MethodType.methodType(Duration.class, Object.class));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException unavailable) {
            return null;
        }
    }
}
