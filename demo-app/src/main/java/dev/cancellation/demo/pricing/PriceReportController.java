package dev.cancellation.demo.pricing;

import java.time.Duration;
import org.springframework.format.annotation.DurationFormat;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/reports/prices/{sku}?supplier-delay=300ms}: a report that waits on a slow downstream service.
 * Within the budget it answers 200; over it, 504 with the reason (see {@code ApiExceptionHandler}), at the budget,
 * not when the supplier would have answered.
 */
@RestController
@RequestMapping("/api/reports")
class PriceReportController {

    private final PriceReportService reports;

    PriceReportController(PriceReportService reports) {
        this.reports = reports;
    }

    @GetMapping("/prices/{sku}")
    PriceReport price(@PathVariable String sku,
            @RequestParam(name = "supplier-delay", required = false)
            @DurationFormat(style = DurationFormat.Style.SIMPLE) Duration supplierDelay) {
        return reports.render(sku, supplierDelay);
    }
}
