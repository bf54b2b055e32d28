package dev.cancellation.demo.pricing;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.format.annotation.DurationFormat;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/supplier/prices/{sku}?delay=5s}: a slow downstream service, served by the demo itself so that
 * the walkthrough needs one process. It logs the budget its caller passed on ({@code X-Request-Timeout}), and,
 * because it keeps the connection busy (a space every 100 ms before the JSON), it notices when the caller aborts
 * the call: its next write fails.
 */
@RestController
@RequestMapping("/api/supplier")
class SupplierController {

    private static final Logger log = LoggerFactory.getLogger(SupplierController.class);

    private static final Duration TICK = Duration.ofMillis(100);

    @GetMapping("/prices/{sku}")
    void price(@PathVariable String sku, @RequestParam(defaultValue = "5s") @DurationFormat(style = DurationFormat.Style.SIMPLE) Duration delay,
            @RequestHeader(name = "X-Request-Timeout", required = false) String budget,
            HttpServletResponse response) throws IOException, InterruptedException {
        log.info("supplier: price of {} asked, caller's budget X-Request-Timeout={}, answering in {}", sku,
                (budget == null) ? "(none)" : budget + " ms", delay.toMillis() + " ms");
        long start = System.nanoTime();
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        ServletOutputStream out = response.getOutputStream();
        try {
            while (elapsed(start).compareTo(delay) < 0) {
                out.write(' ');
                out.flush();
                Thread.sleep(Math.min(TICK.toMillis(), Math.max(1, delay.minus(elapsed(start)).toMillis())));
            }
            long cents = 1000 + Math.floorMod(sku.hashCode() * 7919L, 9000L);
            out.write(("{\"sku\":\"" + sku + "\",\"priceCents\":" + cents + "}").getBytes(StandardCharsets.UTF_8));
            out.flush();
            log.info("supplier: answered {} after {} ms", sku, elapsed(start).toMillis());
        } catch (IOException gone) {
            log.info("supplier: the caller aborted the call for {} after {} ms (the connection is closed, the write "
                    + "failed)", sku, elapsed(start).toMillis());
        }
    }

    private static Duration elapsed(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
