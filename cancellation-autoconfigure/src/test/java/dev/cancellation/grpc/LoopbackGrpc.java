package dev.cancellation.grpc;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real gRPC server (Netty, plaintext HTTP/2) on a loopback port with one service, {@code test.Work}, built by
 * hand (no protobuf: its messages are UTF-8 strings), and a channel to it. Closing it stops both.
 *
 * <p>Thread-safety: create and close on the test thread; the server and channel are gRPC's, safe from any thread.
 */
final class LoopbackGrpc implements AutoCloseable {

    /** Strings as UTF-8 bytes on the wire. */
    static final MethodDescriptor.Marshaller<String> STRING = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    };

    /** The one method: a unary call whose handler the test gives. */
    static final MethodDescriptor<String, String> RUN = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Work", "Run"))
            .setRequestMarshaller(STRING).setResponseMarshaller(STRING).build();

    /** What the service does with one request: answer, throw, or pass an error to the observer. */
    @FunctionalInterface
    interface Handler {
        void handle(String request, StreamObserver<String> responses) throws Exception;
    }

    /** A handler that answers with what {@code work} returns, or fails the call with what it throws. */
    static Handler answering(Work work) {
        return (request, responses) -> {
            responses.onNext(work.run(request));
            responses.onCompleted();
        };
    }

    /** The work of an {@link #answering} handler. */
    @FunctionalInterface
    interface Work {
        String run(String request) throws Exception;
    }

    final Server server;
    final ManagedChannel channel;

    private LoopbackGrpc(Server server, ManagedChannel channel) {
        this.server = server;
        this.channel = channel;
    }

    /**
     * Starts the server with {@code handler} behind {@code serverInterceptors} (the first is called first) and
     * opens a channel through {@code clientInterceptors}. A runtime exception the handler throws is thrown to gRPC,
     * as a generated service's would be.
     */
    static LoopbackGrpc start(Handler handler, List<? extends ServerInterceptor> serverInterceptors,
            List<? extends ClientInterceptor> clientInterceptors) throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Work")
                .addMethod(RUN, ServerCalls.asyncUnaryCall((request, responses) -> {
                    try {
                        handler.handle(request, responses);
                    } catch (RuntimeException ex) {
                        throw ex;
                    } catch (Exception ex) {
                        throw new IllegalStateException(ex);
                    }
                }))
                .build();
        return start(service, serverInterceptors, clientInterceptors);
    }

    /**
     * Starts the server with {@code service} (a coroutine service's, say) behind {@code serverInterceptors} (the
     * first is called first) and opens a channel through {@code clientInterceptors}.
     */
    static LoopbackGrpc start(ServerServiceDefinition service, List<? extends ServerInterceptor> serverInterceptors,
            List<? extends ClientInterceptor> clientInterceptors) throws IOException {
        Server server = NettyServerBuilder
                .forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(ServerInterceptors.interceptForward(service, List.copyOf(serverInterceptors)))
                .build()
                .start();
        ManagedChannel channel = NettyChannelBuilder
                .forAddress(InetAddress.getLoopbackAddress().getHostAddress(), server.getPort())
                .usePlaintext()
                .intercept(List.copyOf(clientInterceptors))
                .build();
        return new LoopbackGrpc(server, channel);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow();
        channel.awaitTermination(10, TimeUnit.SECONDS);
        server.awaitTermination(10, TimeUnit.SECONDS);
    }
}
