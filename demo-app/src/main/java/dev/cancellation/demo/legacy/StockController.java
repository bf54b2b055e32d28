package dev.cancellation.demo.legacy;

import java.util.Map;
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

    @GetMapping("/api/stock/{sku}")
    Map<String, Object> stock(@PathVariable String sku) throws InterruptedException {
        return Map.of("sku", sku, "available", legacy.stockLevel(sku));
    }
}
