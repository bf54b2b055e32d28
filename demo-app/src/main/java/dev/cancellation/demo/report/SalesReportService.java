package dev.cancellation.demo.report;

import dev.cancellation.Cancellation;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.demo.DemoProperties;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;

/**
 * Renders sales reports within a time budget (the <em>timeout</em> pattern, tokio's {@code select!} with a
 * sleep): each month is one slow query; a report of many months runs out of its budget and is cut off.
 */
@Service
public class SalesReportService {

    private final Duration perMonth;

    public SalesReportService(DemoProperties properties) {
        this.perMonth = properties.report().perMonth();
    }

    /**
     * Renders the report of the last {@code months} months. Runs on the request thread with its own token, which
     * times out after the budget; {@code Cancellation.sleep} stands for the query and returns early (with a
     * {@code TaskTimeoutException}) as soon as the budget is spent.
     */
    @Cancellable(name = "sales-report", timeout = "${demo.report.timeout:2s}")
    public SalesReport render(int months) throws InterruptedException {
        long start = System.nanoTime();
        List<SalesReport.MonthTotal> rows = new ArrayList<>();
        BigDecimal total = BigDecimal.ZERO;
        YearMonth first = YearMonth.now().minusMonths(months);
        for (int i = 0; i < months; i++) {
            Cancellation.sleep(perMonth); // the month's query
            YearMonth month = first.plusMonths(i);
            long cents = 4_000_000 + Math.floorMod(month.toString().hashCode() * 7919L, 2_000_000L);
            BigDecimal revenue = BigDecimal.valueOf(cents, 2); // made-up figures
            rows.add(new SalesReport.MonthTotal(month.toString(), revenue));
            total = total.add(revenue);
        }
        return new SalesReport(months, total, rows, Duration.ofNanos(System.nanoTime() - start).toMillis());
    }
}
