package dev.cancellation.http;

import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;

/**
 * A {@link java.net.http.HttpClient} that honours the {@linkplain CancellationToken#current() current token}, for
 * code that uses the JDK client directly: {@code HttpClient client = CancellableHttpClient.wrap(HttpClient.newHttpClient());}
 * <ul>
 *   <li>a request sent when the token is already cancelled, or its deadline has passed, fails at once with
 *       {@code TaskCancelledException} / {@code TaskTimeoutException}, without sending;</li>
 *   <li>with a deadline, the request carries the remaining whole milliseconds in the deadline header, and its
 *       {@link HttpRequest#timeout() timeout} is lowered to them;</li>
 *   <li>cancelling the token cancels the exchange (the JDK closes its connection) and {@code send} throws the
 *       {@code TaskCancelledException}, the client's failure as its cause. The abort covers the exchange until the
 *       body handler completes: with {@code BodyHandlers.ofString()} the whole body; with
 *       {@code ofInputStream()} only until the headers arrive (close the stream to abort after that).</li>
 * </ul>
 * {@code sendAsync} reads the token on the calling thread and behaves the same; the returned future completes
 * with the {@code TaskCancelledException}. Requests sent without a token go to the wrapped client unchanged.
 * Every other method delegates; closing or shutting down this client does so to the wrapped one (Java 21+).
 *
 * <p>Thread-safety: as safe as the wrapped client, which is fully thread-safe.
 */
public final class CancellableHttpClient extends HttpClient {

    private final HttpClient delegate;
    private final HttpClientCancellation settings;

    private CancellableHttpClient(HttpClient delegate, HttpClientCancellation settings) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Wraps {@code client} with the default settings ({@code X-Request-Timeout}, abort on cancel). */
    public static CancellableHttpClient wrap(HttpClient client) {
        return wrap(client, HttpClientCancellation.defaults());
    }

    /** Wraps {@code client} with the given settings. */
    public static CancellableHttpClient wrap(HttpClient client, HttpClientCancellation settings) {
        return new CancellableHttpClient(client, settings);
    }

    /** The wrapped client. */
    public HttpClient delegate() {
        return delegate;
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        OutboundCall call = settings.startWithoutAbort(CancellationToken.current(), request.method(), request.uri());
        if (call == null) {
            return delegate.send(request, handler);
        }
        try (call) {
            CompletableFuture<HttpResponse<T>> response = delegate.sendAsync(withBudget(request, call), handler);
            if (!settings.abortOnCancel()) {
                return join(response);
            }
            try (var ignored = call.token().onCancel(reason -> response.cancel(true))) {
                return join(response);
            } catch (IOException | RuntimeException ex) {
                TaskCancelledException cancelled = call.cancellation(ex);
                if (cancelled != null) {
                    throw cancelled;
                }
                throw ex;
            }
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        return sendAsync(request, handler, null);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
            HttpResponse.@Nullable PushPromiseHandler<T> pushPromiseHandler) {
        OutboundCall call;
        try {
            call = settings.startWithoutAbort(CancellationToken.current(), request.method(), request.uri());
        } catch (RuntimeException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        if (call == null) {
            return delegate.sendAsync(request, handler, pushPromiseHandler);
        }
        CompletableFuture<HttpResponse<T>> response =
                delegate.sendAsync(withBudget(request, call), handler, pushPromiseHandler);
        CompletableFuture<HttpResponse<T>> result = new CompletableFuture<>();
        var registration = settings.abortOnCancel()
                ? call.token().onCancel(reason -> response.cancel(true)) : null;
        response.whenComplete((value, failure) -> {
            if (registration != null) {
                registration.close();
            }
            call.close();
            if (failure == null) {
                result.complete(value);
            } else {
                Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
                        ? failure.getCause() : failure;
                TaskCancelledException cancelled = call.cancellation(cause);
                result.completeExceptionally((cancelled != null) ? cancelled : cause);
            }
        });
        result.whenComplete((value, failure) -> {
            if (result.isCancelled()) {
                response.cancel(true);
            }
        });
        return result;
    }

    private HttpRequest withBudget(HttpRequest request, OutboundCall call) {
        long budget = call.budgetMillis();
        if (budget < 0) {
            return request;
        }
        String header = settings.deadlineHeader();
        String value = settings.headerValue(call, request.headers().firstValue(header).orElse(null));
        Map<String, String> additional = call.additionalBudgetHeaders(
                (value != null) ? value : request.headers().firstValue(header).orElse(null));
        HttpRequest.Builder builder = HttpRequest.newBuilder(request,
                (name, ignored) -> (value == null || !name.equalsIgnoreCase(header))
                        && additional.keySet().stream().noneMatch(name::equalsIgnoreCase));
        if (value != null) {
            builder.header(header, value);
        }
        additional.forEach(builder::header);
        Duration remaining = Duration.ofMillis(budget);
        if (request.timeout().map(timeout -> timeout.compareTo(remaining) > 0).orElse(true)) {
            builder.timeout(remaining);
        }
        return builder.build();
    }

    private static <T> T join(CompletableFuture<T> response) throws IOException, InterruptedException {
        try {
            return response.get();
        } catch (InterruptedException ex) {
            response.cancel(true);
            throw ex;
        } catch (ExecutionException ex) {
            Throwable cause = ex.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
    }

    // ----------------------------------------------------------------------------------- plain delegation

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }

    @Override
    public java.net.http.WebSocket.Builder newWebSocketBuilder() {
        return delegate.newWebSocketBuilder();
    }

    // Java 21 lifecycle methods: these override HttpClient's on Java 21+ (compiled for 17, so without @Override).

    /** Closes the wrapped client (Java 21+). */
    public void close() {
        Java21.invoke(delegate, "close");
    }

    /** Shuts the wrapped client down (Java 21+). */
    public void shutdown() {
        Java21.invoke(delegate, "shutdown");
    }

    /** Shuts the wrapped client down now (Java 21+). */
    public void shutdownNow() {
        Java21.invoke(delegate, "shutdownNow");
    }

    /** Whether the wrapped client has terminated (Java 21+; {@code false} before). */
    public boolean isTerminated() {
        Object terminated = Java21.invoke(delegate, "isTerminated");
        return Boolean.TRUE.equals(terminated);
    }

    /** Waits for the wrapped client to terminate (Java 21+; returns {@code false} at once before). */
    public boolean awaitTermination(Duration duration) throws InterruptedException {
        try {
            MethodHandle handle = MethodHandles.publicLookup().findVirtual(HttpClient.class, "awaitTermination",
                    MethodType.methodType(boolean.class, Duration.class));
            return (boolean) handle.invoke(delegate, duration);
        } catch (NoSuchMethodException | IllegalAccessException ex) {
            return false;
        } catch (InterruptedException | RuntimeException | Error ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static final class Java21 {

        /** What {@code method} returns; {@code null} for a method that returns nothing or is not there (Java 17). */
        static @Nullable Object invoke(HttpClient client, String method) {
            MethodHandle handle;
            try {
                Class<?> result = method.equals("isTerminated") ? boolean.class : void.class;
                handle = MethodHandles.publicLookup().findVirtual(HttpClient.class, method,
                        MethodType.methodType(result));
            } catch (NoSuchMethodException | IllegalAccessException ex) {
                return null; // Java 17: no lifecycle to delegate
            }
            try {
                return handle.invoke(client);
            } catch (RuntimeException | Error ex) {
                throw ex;
            } catch (Throwable ex) {
                throw new IllegalStateException(ex);
            }
        }
    }
}
