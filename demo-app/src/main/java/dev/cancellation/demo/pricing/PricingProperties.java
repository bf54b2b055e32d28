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
 */
@ConfigurationProperties("demo.prices")
public record PricingProperties(@DefaultValue("") String supplierUrl, @DefaultValue("5s") Duration supplierDelay) {
}
