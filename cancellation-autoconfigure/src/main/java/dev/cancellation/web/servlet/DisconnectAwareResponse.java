package dev.cancellation.web.servlet;

import dev.cancellation.web.InFlightRequest;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A response that cancels its request with the client-disconnected reason when writing to it fails: the one signal
 * the Servlet API gives that the client went away. A {@code PrintWriter} swallows I/O errors, so the writer is
 * checked after each flush and close.
 *
 * <p>Thread-safety: as the wrapped response (a response is written by one thread at a time).
 */
final class DisconnectAwareResponse extends HttpServletResponseWrapper {

    /** How long after the container's async timeout a gone client's async request is closed by us at the latest. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

    private final HttpServletRequest request;
    private final InFlightRequest inFlight;
    private @Nullable ServletOutputStream stream;
    private @Nullable PrintWriter writer;

    DisconnectAwareResponse(HttpServletRequest request, HttpServletResponse response, InFlightRequest inFlight) {
        super(response);
        this.request = request;
        this.inFlight = inFlight;
    }

    private IOException gone(IOException failure) {
        clientGone();
        return failure;
    }

    /**
     * Cancels the request; for an async one, also makes sure it leaves the in-flight set by the container's async
     * timeout (plus {@link #CLOSE_GRACE}) even if the container never reports its end, as can happen when the
     * write that failed ran on an application thread.
     */
    private void clientGone() {
        inFlight.cancel(InFlightRequest.clientDisconnected());
        try {
            if (request.isAsyncStarted()) {
                long timeout = request.getAsyncContext().getTimeout();
                if (timeout > 0) {
                    inFlight.closeAfter(Duration.ofMillis(timeout).plus(CLOSE_GRACE));
                }
            }
        } catch (IllegalStateException ex) {
            // the async cycle ended meanwhile: the container reports the end itself
        }
    }

    @Override
    public void flushBuffer() throws IOException {
        try {
            super.flushBuffer();
        } catch (IOException ex) {
            throw gone(ex);
        }
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (stream == null) {
            stream = new Stream(super.getOutputStream());
        }
        return stream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (writer == null) {
            PrintWriter delegate = super.getWriter();
            writer = new PrintWriter(delegate) {
                @Override
                public void flush() {
                    super.flush();
                    if (delegate.checkError()) {
                        clientGone();
                    }
                }

                @Override
                public void close() {
                    super.close();
                    if (delegate.checkError()) {
                        clientGone();
                    }
                }
            };
        }
        return writer;
    }

    private final class Stream extends ServletOutputStream {

        private final ServletOutputStream delegate;

        Stream(ServletOutputStream delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                delegate.write(b);
            } catch (IOException ex) {
                throw gone(ex);
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            try {
                delegate.write(bytes, offset, length);
            } catch (IOException ex) {
                throw gone(ex);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                delegate.flush();
            } catch (IOException ex) {
                throw gone(ex);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                delegate.close();
            } catch (IOException ex) {
                throw gone(ex);
            }
        }

        @Override
        public boolean isReady() {
            return delegate.isReady();
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            delegate.setWriteListener(new WriteListener() {
                @Override
                public void onWritePossible() throws IOException {
                    listener.onWritePossible();
                }

                @Override
                public void onError(Throwable failure) {
                    clientGone();
                    listener.onError(failure);
                }
            });
        }
    }
}
