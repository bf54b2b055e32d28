package dev.cancellation.demo.report;

import java.math.BigDecimal;
import java.util.List;

/**
 * A rendered sales report.
 *
 * @param months how many months it covers
 * @param total the sum over all months
 * @param rows one row per month
 * @param tookMs how long rendering took
 */
public record SalesReport(int months, BigDecimal total, List<MonthTotal> rows, long tookMs) {

    /** @param month e.g. {@code 2025-03} @param revenue its revenue */
    public record MonthTotal(String month, BigDecimal revenue) {
    }
}
