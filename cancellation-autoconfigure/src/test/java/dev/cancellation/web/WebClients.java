package dev.cancellation.web;

import com.jayway.jsonpath.JsonPath;
import dev.cancellation.CancellationToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Test support for the web edge: a JDK HTTP client over loopback, a raw socket client that goes away mid-request,
 * and a probe where handlers leave the token they ran with.
 */
final class WebClients {

    /** Security auto-configurations on the test class path that would put every endpoint behind a login. */
    static final String[] NO_SECURITY = {
        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.reactive."
                + "ReactiveManagementWebSecurityAutoConfiguration"};

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private WebClients() {
    }

    /** A response: status, body, content type, and how long it took. */
    record Answer(int status, String body, String contentType, Duration took) {

        <T> T json(String path) {
            return JsonPath.read(body, path);
        }
    }

    /** GET on 127.0.0.1:port with the given header pairs. */
    static Answer get(int port, String path, String... headers) {
        return send(port, "GET", path, headers);
    }

    /**
     * The status of a request with any method (a custom one too), sent over a connection of its own that the
     * server closes after answering: what a client that makes up methods can send.
     */
    static int rawStatus(int port, String method, String path, String... headerLines) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(30_000);
            StringBuilder request = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: close\r\n");
            for (String line : headerLines) {
                request.append(line).append("\r\n");
            }
            OutputStream out = socket.getOutputStream();
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return Integer.parseInt(answer.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A request with any method and no body on 127.0.0.1:port with the given header pairs. */
    static Answer send(int port, String method, String path, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        long start = System.nanoTime();
        try {
            HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(null),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /**
     * A client that sends a GET, waits until the handler has run (its probe is recorded), then closes the
     * connection without reading the answer.
     */
    static CancellationToken disconnectAfterHandlerStarted(int port, String path, Probe probe, String key,
            String... headerLines) throws Exception {
        try (Socket socket = new Socket()) {
            socket.setSoLinger(true, 0);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            OutputStream out = socket.getOutputStream();
            StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            for (String line : headerLines) {
                request.append(line).append("\r\n");
            }
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return probe.await(key);
        }
    }

    /** Reads what a socket got until it is closed or {@code max} bytes, for raw checks. */
    static String readSome(InputStream in, int max) throws IOException {
        return new String(in.readNBytes(max), StandardCharsets.US_ASCII);
    }

    /** Where handlers leave the token they ran with, by key. */
    static final class Probe {

        private final Map<String, CompletableFuture<CancellationToken>> tokens = new ConcurrentHashMap<>();
        private final Map<String, CompletableFuture<String>> ends = new ConcurrentHashMap<>();

        void record(String key, CancellationToken token) {
            tokens.computeIfAbsent(key, k -> new CompletableFuture<>()).complete(token);
        }

        /** Whether a handler recorded a token under this key. */
        boolean recorded(String key) {
            CompletableFuture<CancellationToken> token = tokens.get(key);
            return token != null && token.isDone();
        }

        CancellationToken await(String key) throws Exception {
            return tokens.computeIfAbsent(key, k -> new CompletableFuture<>()).get(10, TimeUnit.SECONDS);
        }

        /** The handler's code has ended, with how. */
        void ended(String key, String how) {
            ends.computeIfAbsent(key, k -> new CompletableFuture<>()).complete(how);
        }

        String awaitEnd(String key) throws Exception {
            return ends.computeIfAbsent(key, k -> new CompletableFuture<>()).get(20, TimeUnit.SECONDS);
        }
    }
}
