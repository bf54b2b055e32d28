package dev.cancellation.demo.sync;

import java.net.URI;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /api/sync}: starts a catalog sync of all regions in the background (202). */
@RestController
class SyncController {

    private final CatalogSyncService sync;

    SyncController(CatalogSyncService sync) {
        this.sync = sync;
    }

    /** The answer, in a fixed field order. */
    record SyncStarted(String syncId, String tasks) {
    }

    @PostMapping("/api/sync")
    ResponseEntity<SyncStarted> start() throws InterruptedException {
        String syncId = "sync-" + UUID.randomUUID().toString().substring(0, 8);
        sync.syncAll(syncId);
        return ResponseEntity.accepted().location(URI.create("/actuator/cancellation?name=catalog-sync"))
                .body(new SyncStarted(syncId, "/actuator/cancellation?name=catalog-sync"));
    }
}
