package dev.cancellation.demo.imports;

import dev.cancellation.TaskCancelledException;
import dev.cancellation.demo.DemoProperties;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Starts catalog imports and shows their progress: {@code POST /api/imports} answers at once (202) while the
 * import runs in the background; {@code GET /api/imports/{id}} shows its state and the files on disk.
 * Cancelling is the operator's job: {@code /actuator/cancellation}.
 */
@RestController
@RequestMapping("/api/imports")
class ImportController {

    private final CatalogImportService imports;
    private final int defaultBatches;
    // The demo keeps every import of this run; a real service would persist them.
    private final Map<String, CompletableFuture<ImportResult>> started = new ConcurrentHashMap<>();

    ImportController(CatalogImportService imports, DemoProperties properties) {
        this.imports = imports;
        this.defaultBatches = properties.imports().batches();
    }

    @PostMapping
    ResponseEntity<ImportStatus> start(@RequestParam(required = false) Integer batches)
            throws IOException, InterruptedException {
        int count = (batches == null) ? defaultBatches : batches;
        if (count < 1 || count > 10_000) {
            throw new IllegalArgumentException("batches must be between 1 and 10000: " + count);
        }
        String importId = "imp-" + UUID.randomUUID().toString().substring(0, 8);
        started.put(importId, imports.importCatalog(importId, count));
        return ResponseEntity.accepted().location(URI.create("/api/imports/" + importId)).body(status(importId));
    }

    @GetMapping
    List<ImportStatus> all() {
        return started.keySet().stream().sorted().map(this::status).toList();
    }

    @GetMapping("/{importId}")
    ResponseEntity<ImportStatus> one(@PathVariable String importId) {
        if (!started.containsKey(importId)) {
            return ResponseEntity.notFound().build();
        }
        return ResponseEntity.ok(status(importId));
    }

    private ImportStatus status(String importId) {
        CompletableFuture<ImportResult> future = started.get(importId);
        String state = "running";
        String reason = null;
        if (future.isDone()) {
            try {
                future.join();
                state = "completed";
            } catch (CancellationException | CompletionException ex) {
                // join() throws a TaskCancelledException (a CancellationException) as is, other failures wrapped.
                Throwable cause = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
                if (cause instanceof TaskCancelledException cancelled) {
                    state = "cancelled";
                    reason = cancelled.reason().describe();
                } else {
                    state = (cause instanceof CancellationException) ? "cancelled" : "failed";
                    reason = cause.getMessage();
                }
            }
        }
        return new ImportStatus(importId, state, reason, imports.directoryOf(importId).toString(),
                imports.files(importId));
    }

    /**
     * @param importId the import
     * @param state {@code running}, {@code completed}, {@code cancelled} or {@code failed}
     * @param reason why it was cancelled or failed, else {@code null}
     * @param directory where it writes
     * @param files the files in that directory now
     */
    record ImportStatus(String importId, String state, String reason, String directory, List<String> files) {
    }
}
