package dev.cancellation.demo.pricing;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.stereotype.Component;

/**
 * The report's side of the gRPC supplier ({@code demo.prices.transport=grpc}): a channel from Spring gRPC's
 * auto-configured {@link GrpcChannelFactory}, to {@code demo.prices.supplier-grpc-target} or, when that is empty,
 * to this application's own gRPC server on loopback. The channel has the starter's client interceptor (a global
 * interceptor of the factory), so a call made under the report's token gets what is left of its budget as the
 * call's deadline ({@code grpc-timeout}) and is cancelled the moment the budget runs out.
 *
 * <p>Thread-safety: the channel is created once, on first use; calls may come from any thread.
 */
@Component
@ConditionalOnProperty(name = "demo.prices.transport", havingValue = "grpc")
class GrpcSupplierClient {

    private final GrpcChannelFactory channels;
    private final ObjectProvider<GrpcServerLifecycle> server;
    private final PricingProperties properties;
    private volatile ManagedChannel channel;

    GrpcSupplierClient(GrpcChannelFactory channels, ObjectProvider<GrpcServerLifecycle> server,
            PricingProperties properties) {
        this.channels = channels;
        this.server = server;
        this.properties = properties;
    }

    /** The supplier's price of {@code sku}, which it takes {@code delay} to answer; blocks the calling thread. */
    PriceReportService.SupplierPrice price(String sku, Duration delay) {
        return ClientCalls.blockingUnaryCall(channel(), SupplierGrpc.PRICE, CallOptions.DEFAULT,
                new SupplierGrpc.PriceRequest(sku, delay.toMillis()));
    }

    private ManagedChannel channel() {
        ManagedChannel current = channel;
        if (current == null) {
            synchronized (this) {
                current = channel;
                if (current == null) {
                    current = channels.createChannel(target());
                    channel = current;
                }
            }
        }
        return current;
    }

    private String target() {
        String configured = properties.supplierGrpcTarget();
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        GrpcServerLifecycle own = server.getIfAvailable();
        if (own == null) {
            throw new IllegalStateException("demo.prices.transport=grpc: demo.prices.supplier-grpc-target is empty "
                    + "and this application runs no gRPC server to call");
        }
        return "127.0.0.1:" + own.getPort();
    }
}
