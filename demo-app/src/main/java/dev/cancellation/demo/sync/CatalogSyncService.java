package dev.cancellation.demo.sync;

import dev.cancellation.Cancellation;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.demo.DemoProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Async;
import org.springframework.stereotype.Service;

/**
 * Syncs the catalog of every region at once (the <em>token tree</em> pattern): the sync is a task, and each
 * region is a child task started from it. Cancelling the sync cancels every region; the endpoint's
 * {@code GET /actuator/cancellation/{id}} shows the tree.
 */
@Service
public class CatalogSyncService {

    private static final Logger log = LoggerFactory.getLogger(CatalogSyncService.class);

    private final RegionSyncService regionSync;
    private final List<String> regions;

    public CatalogSyncService(RegionSyncService regionSync, DemoProperties properties) {
        this.regionSync = regionSync;
        this.regions = properties.sync().regions();
    }

    /** Fans out one child task per region and waits for all of them; completes with the products synced. */
    @Async
    @Cancellable(name = "catalog-sync")
    public CompletableFuture<Integer> syncAll(String syncId) throws InterruptedException {
        List<CompletableFuture<Integer>> children = new ArrayList<>();
        for (String region : regions) {
            children.add(regionSync.syncRegion(syncId, region)); // a child task of this one
        }
        // Waits for the children, but returns at once (TaskCancelledException) if this task is cancelled;
        // the children are cancelled with it, through their tokens.
        Cancellation.await(CompletableFuture.allOf(children.toArray(CompletableFuture[]::new)));
        int total = children.stream().mapToInt(CompletableFuture::join).sum();
        log.info("sync {}: complete, {} products in {} regions", syncId, total, regions.size());
        return CompletableFuture.completedFuture(total);
    }
}
