package dev.cancellation.http;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.ClientHttpResponse;

/**
 * A response whose body reads can be aborted by the call's token, and whose {@link #close()} ends the call.
 * Same thread-safety as the response it wraps (one reader).
 */
final class CancellableClientHttpResponse implements ClientHttpResponse {

    private final ClientHttpResponse response;
    private final OutboundCall call;
    private final @Nullable Closeable connection;
    private volatile @Nullable InputStream rawBody;
    private @Nullable InputStream body;

    CancellableClientHttpResponse(ClientHttpResponse response, OutboundCall call) {
        this.response = response;
        this.call = call;
        this.connection = ReactorNettyConnections.connectionOf(response);
        call.attachBody(this::abort);
    }

    /** Runs on the cancelling thread: gives up the connection (Reactor Netty) and closes the body, if opened. */
    private void abort() {
        if (connection != null) {
            closeQuietly(connection);
        }
        closeQuietly(rawBody);
    }

    @Override
    public HttpStatusCode getStatusCode() throws IOException {
        return response.getStatusCode();
    }

    @Override
    public String getStatusText() throws IOException {
        return response.getStatusText();
    }

    @Override
    public HttpHeaders getHeaders() {
        return response.getHeaders();
    }

    @Override
    public InputStream getBody() throws IOException {
        InputStream current = body;
        if (current == null) {
            rawBody = call.run(response::getBody, false);
            current = new GuardedStream(rawBody);
            body = current;
        }
        return current;
    }

    /**
     * Closes the response. After a cancellation the body is closed first: the clients' own {@code close()} drains
     * the rest of the body to reuse the connection, which for a slow body would wait for all of it.
     */
    @Override
    public void close() {
        try {
            if (call.isCancelled()) {
                abort();
                closeQuietly(bodyOrNull(response));
                closeQuietly(response); // may fail on what the abort already closed: the exchange is given up
            } else {
                response.close();
            }
        } finally {
            call.close();
        }
    }

    private static @Nullable InputStream bodyOrNull(ClientHttpResponse response) {
        try {
            return response.getBody();
        } catch (IOException | RuntimeException ex) {
            return null;
        }
    }

    private static void closeQuietly(@Nullable Closeable stream) {
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException | RuntimeException ignored) {
                // aborting: the exchange is being given up anyway
            }
        }
    }

    private final class GuardedStream extends FilterInputStream {

        GuardedStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            return call.run(in::read, false);
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            return call.run(() -> in.read(buffer, offset, length), false);
        }

        @Override
        public long skip(long n) throws IOException {
            return call.run(() -> in.skip(n), false);
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } finally {
                call.close();
            }
        }
    }
}
