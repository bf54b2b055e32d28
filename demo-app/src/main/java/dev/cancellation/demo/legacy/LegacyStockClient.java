package dev.cancellation.demo.legacy;

import dev.cancellation.annotation.Cancellable;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * A client of the warehouse's legacy stock system (the <em>abort escalation</em> pattern): it blocks on a reply
 * queue and knows nothing about cancellation tokens, and the legacy system never answers. Cancelling its token
 * alone cannot stop it; after the {@code interruptAfter} grace period the interceptor interrupts the thread,
 * which gets it out of {@code take()}.
 */
@Component
public class LegacyStockClient {

    private static final Logger log = LoggerFactory.getLogger(LegacyStockClient.class);

    // Nobody ever puts a reply here: the legacy system is "down".
    private final BlockingQueue<Integer> replies = new LinkedBlockingQueue<>();

    /** The stock level of {@code sku}, as the legacy system would tell it. */
    @Cancellable(name = "legacy-stock-lookup", timeout = "${demo.legacy.timeout:2s}",
            interruptAfter = "${demo.legacy.interrupt-after:1s}")
    public int stockLevel(String sku) throws InterruptedException {
        long start = System.nanoTime();
        try {
            return replies.take(); // ignores the token; only an interrupt ends it
        } catch (InterruptedException ex) {
            log.info("stock lookup {}: blocking take() interrupted after {} ms", sku,
                    Duration.ofNanos(System.nanoTime() - start).toMillis());
            throw ex;
        }
    }
}
