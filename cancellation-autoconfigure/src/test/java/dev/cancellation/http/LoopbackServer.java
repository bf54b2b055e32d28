package dev.cancellation.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real HTTP/1.1 downstream on 127.0.0.1 (random port), small enough to see what the socket sees: it records every
 * request's headers, and for the slow paths it watches the connection, so a test learns when the caller closed it.
 *
 * <ul>
 *   <li>{@code /fast}: answers {@code 200 ok} at once;</li>
 *   <li>{@code /slow?ms=N}: waits up to N ms for the caller to close the connection; answers {@code 200 late} if it
 *       did not;</li>
 *   <li>{@code /slow-body?ms=N}: sends the headers and the first bytes of a long body at once, then waits like
 *       {@code /slow} before the rest;</li>
 *   <li>{@code /trickle?ms=N}: sends a space every 50 ms for N ms, then a JSON object; a failed write
 *       counts as the caller closing.</li>
 * </ul>
 */
public final class LoopbackServer implements AutoCloseable, AfterEachCallback {

    /**
     * A server for one test: declare it as a {@code @RegisterExtension} field, and JUnit closes it after the test
     * (a new test instance, so a new server, for every test method).
     */
    public static LoopbackServer perTest() {
        try {
            return new LoopbackServer();
        } catch (IOException ex) {
            throw new UncheckedIOException("Could not start the loopback server", ex);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        close();
    }

    /** A request as the server read it off the socket. */
    public record Received(String method, String path, Map<String, String> headers, long atNanos) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** The caller closed a connection while the server was waiting on {@code path}. */
    public record Closed(String path, long atNanos) {
    }

    private final ServerSocket server;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final BlockingQueue<Closed> closed = new LinkedBlockingQueue<>();
    private final CopyOnWriteArrayList<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger served = new AtomicInteger();
    private final Thread acceptor;

    public LoopbackServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "loopback-server-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    /** The next request received, waiting at most {@code timeout}; fails if none came. */
    public Received nextRequest(Duration timeout) throws InterruptedException {
        Received request = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (request == null) {
            throw new AssertionError("no request reached the server within " + timeout);
        }
        return request;
    }

    /** A request received so far, or {@code null}: for asserting that nothing was sent. */
    public Received pollRequest() {
        return received.poll();
    }

    /** The next connection closed by the caller while the server waited, or fails after {@code timeout}. */
    public Closed nextClose(Duration timeout) throws InterruptedException {
        Closed close = closed.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (close == null) {
            throw new AssertionError("the caller did not close the connection within " + timeout);
        }
        return close;
    }

    /** Responses the server completed. */
    public int served() {
        return served.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                sockets.add(socket);
                Thread connection = new Thread(() -> serve(socket), "loopback-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException ex) {
                return; // closed
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                Received request = readRequest(in);
                if (request == null) {
                    return;
                }
                received.add(request);
                if (!respond(request, socket, in, out)) {
                    return;
                }
            }
        } catch (IOException ex) {
            // the caller went away: nothing to answer
        } finally {
            sockets.remove(socket);
        }
    }

    /** Answers one request; {@code false} when the connection is finished. */
    private boolean respond(Received request, Socket socket, InputStream in, OutputStream out) throws IOException {
        String path = request.path();
        String route = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        long waitMillis = queryLong(path, "ms", 10_000);
        switch (route) {
            case "/slow" -> {
                if (waitForClose(route, socket, in, waitMillis)) {
                    return false;
                }
                write(out, "200 OK", "late");
            }
            case "/slow-body" -> {
                byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n\r\n"
                        + "x".repeat(1000)).getBytes(StandardCharsets.US_ASCII);
                out.write(head);
                out.flush();
                if (waitForClose(route, socket, in, waitMillis)) {
                    return false;
                }
                out.write("y".repeat(1000).getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            case "/trickle" -> {
                // a space every 50 ms before the JSON, like a supplier keeping the line busy
                String json = "{\"sku\":\"a\",\"priceCents\":1}";
                long spaces = Math.max(1, waitMillis / 50);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                        + (spaces + json.length()) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                try {
                    for (long i = 0; i < spaces; i++) {
                        out.write(' ');
                        out.flush();
                        Thread.sleep(50);
                    }
                    out.write(json.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException gone) {
                    closed.add(new Closed(route, System.nanoTime()));
                    return false;
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            default -> write(out, "200 OK", "ok");
        }
        served.incrementAndGet();
        return true;
    }

    /** Blocks until the caller closes the connection ({@code true}) or {@code millis} pass ({@code false}). */
    private boolean waitForClose(String route, Socket socket, InputStream in, long millis) throws IOException {
        socket.setSoTimeout((int) Math.max(1, millis));
        try {
            int next = in.read();
            if (next < 0) {
                closed.add(new Closed(route, System.nanoTime()));
                return true;
            }
            throw new IOException("unexpected byte while waiting: " + next);
        } catch (SocketTimeoutException timeUp) {
            return false;
        } catch (IOException reset) {
            closed.add(new Closed(route, System.nanoTime()));
            return true;
        } finally {
            socket.setSoTimeout(0);
        }
    }

    private static void write(OutputStream out, String status, String body) throws IOException {
        // one write: a second small one would wait for the caller's delayed ACK (Nagle)
        out.write(("HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static Received readRequest(InputStream in) throws IOException {
        String requestLine = readLine(in);
        if (requestLine == null) {
            return null;
        }
        long at = System.nanoTime();
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        long length = Long.parseLong(headers.getOrDefault("content-length", "0"));
        for (long i = 0; i < length; i++) {
            if (in.read() < 0) {
                return null;
            }
        }
        String[] parts = requestLine.split(" ");
        return new Received(parts[0], parts.length > 1 ? parts[1] : "/", Map.copyOf(headers), at);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.US_ASCII);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return (line.size() == 0) ? null : line.toString(StandardCharsets.US_ASCII);
    }

    private static long queryLong(String path, String name, long otherwise) {
        int query = path.indexOf('?');
        if (query < 0) {
            return otherwise;
        }
        for (String pair : path.substring(query + 1).split("&")) {
            if (pair.startsWith(name + "=")) {
                return Long.parseLong(pair.substring(name.length() + 1));
            }
        }
        return otherwise;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : sockets) {
            socket.close();
        }
    }
}
