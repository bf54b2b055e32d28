package dev.cancellation.demo.pricing;

import dev.cancellation.annotation.Cancellable;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Service;
import org.springframework.web.client.RestClient;

/**
 * Builds price reports from a slow supplier, within a time budget: the supplier is called through a
 * {@code RestClient} from Boot's auto-configured builder, so the call carries what is left of the budget
 * ({@code X-Request-Timeout}) and is aborted the moment the budget runs out, instead of waiting for the supplier
 * or for the interrupt grace. With {@code demo.prices.transport=grpc} the supplier is called over gRPC instead
 * ({@link GrpcSupplierClient}): the budget travels as the call's deadline and the call is cancelled with it.
 */
@Service
public class PriceReportService {

    /** The supplier's answer (JSON over HTTP, a {@link SupplierGrpc} message over gRPC). */
    record SupplierPrice(String sku, long priceCents) {
    }

    private final RestClient supplier;
    private final PricingProperties properties;
    private final Environment environment;
    private final ObjectProvider<GrpcSupplierClient> grpcSupplier;

    public PriceReportService(RestClient.Builder builder, PricingProperties properties, Environment environment,
            ObjectProvider<GrpcSupplierClient> grpcSupplier) {
        this.supplier = builder.build();
        this.properties = properties;
        this.environment = environment;
        this.grpcSupplier = grpcSupplier;
    }

    /**
     * The report for {@code sku}; the supplier takes {@code supplierDelay} (the configured delay when
     * {@code null}). Over budget, the call to the supplier is aborted and a {@code TaskTimeoutException} ends the
     * report.
     */
    @Cancellable(name = "price-report", timeout = "${demo.prices.timeout:2s}")
    public PriceReport render(String sku, Duration supplierDelay) {
        long start = System.nanoTime();
        Duration delay = (supplierDelay != null) ? supplierDelay : properties.supplierDelay();
        SupplierPrice price = (properties.transport() == PricingProperties.Transport.GRPC)
                ? grpcSupplier.getObject().price(sku, delay)
                : supplier.get()
                        .uri(supplierUrl() + "/api/supplier/prices/{sku}?delay={delay}", sku, delay.toMillis() + "ms")
                        .retrieve().body(SupplierPrice.class);
        return new PriceReport(sku, price.priceCents(), Duration.ofNanos(System.nanoTime() - start).toMillis());
    }

    private String supplierUrl() {
        String configured = properties.supplierUrl();
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        return "http://127.0.0.1:" + environment.getRequiredProperty("local.server.port");
    }
}
