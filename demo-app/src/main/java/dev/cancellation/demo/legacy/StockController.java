package dev.cancellation.demo.legacy;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/stock/{sku}}: asks the legacy system, which hangs; answers 504 once the call is aborted. */
@RestController
class StockController {

    private final LegacyStockClient legacy;

    StockController(LegacyStockClient legacy) {
        this.legacy = legacy;
    }

    /** The answer, in a fixed field order. */
    record StockLevel(String sku, int available) {
    }

    @GetMapping("/api/stock/{sku}")
    StockLevel stock(@PathVariable String sku) throws InterruptedException {
        return new StockLevel(sku, legacy.stockLevel(sku));
    }
}
