package dev.cancellation.demo.report;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/reports/sales?months=N}: a report of a few months fits in the budget (200), a long one is cut
 * off with 504 and the reason (the starter's problem detail); a caller that sends {@code X-Request-Timeout} cuts it
 * off at its own budget.
 */
@RestController
@RequestMapping("/api/reports")
class ReportController {

    private final SalesReportService reports;

    ReportController(SalesReportService reports) {
        this.reports = reports;
    }

    @GetMapping("/sales")
    SalesReport sales(@RequestParam(defaultValue = "3") int months) throws InterruptedException {
        if (months < 1 || months > 120) {
            throw new IllegalArgumentException("months must be between 1 and 120: " + months);
        }
        return reports.render(months);
    }
}
