package dev.cancellation.demo.pricing;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the price report and its simulated supplier, bound from {@code demo.prices.*}. The report's own
 * budget is on its {@code @Cancellable} annotation ({@code demo.prices.timeout}, default 2s).
 *
 * @param supplierUrl base URL of the supplier; empty means the supplier endpoint of this very application
 * @param supplierDelay how long the simulated supplier takes to answer, unless the request says otherwise
 * @param transport how the report calls the supplier: {@code http} (a {@code RestClient}, the budget in
 *        {@code X-Request-Timeout}) or {@code grpc} (a Spring gRPC channel, the budget as the call's deadline)
 * @param supplierGrpcTarget the gRPC supplier's target ({@code host:port}) with {@code transport=grpc}; empty means
 *        the gRPC server of this very application
 */
@ConfigurationProperties("demo.prices")
public record PricingProperties(@DefaultValue("") String supplierUrl, @DefaultValue("5s") Duration supplierDelay,
        @DefaultValue("http") Transport transport, @DefaultValue("") String supplierGrpcTarget) {

    /** How the report reaches the supplier. */
    public enum Transport {
        /** HTTP, through a {@code RestClient} from Boot's builder. */
        HTTP,
        /** gRPC, through a channel from Spring gRPC's channel factory, to the supplier's gRPC service. */
        GRPC
    }
}
