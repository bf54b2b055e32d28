package dev.cancellation.demo.sync;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.demo.DemoProperties;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Async;
import org.springframework.stereotype.Service;

/**
 * Syncs one region's catalog, page by page: the child tasks of a {@link CatalogSyncService catalog sync}.
 * Called from the sync's own task, each call becomes a child task of it (a separate bean, so that the call goes
 * through the proxy).
 */
@Service
public class RegionSyncService {

    private static final Logger log = LoggerFactory.getLogger(RegionSyncService.class);

    private final int pages;
    private final Duration pageInterval;

    public RegionSyncService(DemoProperties properties) {
        this.pages = properties.sync().pages();
        this.pageInterval = properties.sync().pageInterval();
    }

    /** Syncs {@code region}; completes with the number of products synced. */
    @Async
    @Cancellable(name = "region-sync")
    public CompletableFuture<Integer> syncRegion(String syncId, String region) throws InterruptedException {
        int products = 0;
        for (int page = 1; page <= pages; page++) {
            Cancellation.sleep(pageInterval); // one page from the region's API
            products += 50;
        }
        return CompletableFuture.completedFuture(products);
    }

    /** After a region's sync was cancelled (with its parent, or alone): drop what it staged. */
    @OnCancel("region-sync")
    public void discardStagedPages(CancellationReason reason, String syncId, String region) {
        log.info("sync {} region {}: cancelled ({}), staged pages discarded", syncId, region, reason.kind());
    }
}
