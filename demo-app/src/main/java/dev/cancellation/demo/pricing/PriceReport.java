package dev.cancellation.demo.pricing;

/**
 * A price report: the supplier's price of one item.
 *
 * @param sku the item
 * @param priceCents the supplier's price
 * @param tookMs how long the report took
 */
public record PriceReport(String sku, long priceCents, long tookMs) {
}
