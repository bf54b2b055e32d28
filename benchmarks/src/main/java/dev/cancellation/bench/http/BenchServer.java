package dev.cancellation.bench.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;

/**
 * A minimal HTTP/1.1 server on 127.0.0.1 for the HTTP benchmarks: {@code /fast} answers at once (keep-alive);
 * {@code /slow} releases {@link #arrived} when the request is in and then holds the connection until the caller
 * closes it (it never answers), counting the closes in {@link #closed}.
 */
final class BenchServer implements AutoCloseable {

    private static final byte[] OK = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
            .getBytes(StandardCharsets.US_ASCII);

    final Semaphore arrived = new Semaphore(0);
    final Semaphore closed = new Semaphore(0);
    private final ServerSocket server;

    BenchServer() throws IOException {
        server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "bench-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + path);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                Thread connection = new Thread(() -> serve(socket), "bench-connection");
                connection.setDaemon(true);
                connection.start();
            } catch (IOException ex) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            String path;
            while ((path = readRequest(in)) != null) {
                if (path.startsWith("/slow")) {
                    arrived.release();
                    try {
                        while (in.read() >= 0) {
                            // a caller sends nothing more: wait for its close
                        }
                    } catch (IOException reset) {
                        // closed by reset
                    }
                    closed.release();
                    return;
                }
                out.write(OK);
                out.flush();
            }
        } catch (IOException ex) {
            // the caller went away
        }
    }

    /** Reads a request head; returns its path, or {@code null} at the end of the connection. */
    private static String readRequest(InputStream in) throws IOException {
        String requestLine = readLine(in);
        if (requestLine == null) {
            return null;
        }
        for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
            // headers: GET requests only, no body to skip
        }
        String[] parts = requestLine.split(" ");
        return (parts.length > 1) ? parts[1] : "/";
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(64);
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

    @Override
    public void close() throws IOException {
        server.close();
    }
}
