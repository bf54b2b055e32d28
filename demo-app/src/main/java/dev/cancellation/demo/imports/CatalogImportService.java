package dev.cancellation.demo.imports;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.demo.DemoProperties;
import dev.cancellation.task.TaskInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Async;
import org.springframework.stereotype.Service;

/**
 * Imports the supplier's catalog in batches, one CSV file per batch, in the background (the <em>operator cancel
 * + async cleanup</em> pattern). An operator can list and cancel a running import through
 * {@code /actuator/cancellation}; the {@link #discardPartialOutput cleanup} then deletes the partial output, after
 * the import has stopped, so nobody mistakes half a catalog for a whole one.
 *
 * <p>Thread-safety: stateless apart from the file system; each import writes only to its own directory.
 */
@Service
public class CatalogImportService {

    private static final Logger log = LoggerFactory.getLogger(CatalogImportService.class);

    static final String SUCCESS_MARKER = "_SUCCESS";

    private final Path root;
    private final Duration batchInterval;
    private final int rowsPerBatch;

    public CatalogImportService(DemoProperties properties) {
        this.root = properties.outputDir().resolve("imports").toAbsolutePath().normalize();
        this.batchInterval = properties.imports().batchInterval();
        this.rowsPerBatch = properties.imports().rowsPerBatch();
    }

    /** Where the import {@code importId} writes its files. */
    public Path directoryOf(String importId) {
        return root.resolve(importId);
    }

    /**
     * Imports {@code batches} batches into {@link #directoryOf(String) its directory}, then writes a
     * {@code _SUCCESS} marker. Runs on the task executor; the task is registered (and cancellable) as soon as it
     * is submitted.
     */
    @Async
    @Cancellable(name = "catalog-import")
    public CompletableFuture<ImportResult> importCatalog(String importId, int batches)
            throws IOException, InterruptedException {
        Path directory = Files.createDirectories(directoryOf(importId));
        for (int batch = 1; batch <= batches; batch++) {
            Cancellation.sleep(batchInterval); // fetching the next page from the supplier
            writeBatch(directory, batch);
        }
        Files.writeString(directory.resolve(SUCCESS_MARKER), "batches=" + batches + System.lineSeparator());
        log.info("import {}: complete, {} batch file(s) in {}", importId, batches, directory);
        return CompletableFuture.completedFuture(new ImportResult(importId, batches, batches * rowsPerBatch,
                directory.toString()));
    }

    /**
     * Runs on the cleanup executor after a cancelled import has stopped: deletes its partial output. Receives the
     * reason, the task and the first argument of the cancelled call.
     */
    @OnCancel("catalog-import")
    public void discardPartialOutput(CancellationReason reason, TaskInfo task, String importId) throws IOException {
        Path directory = directoryOf(importId);
        int deleted = deleteRecursively(directory);
        log.info("import {}: cancelled ({}), deleted {} partial file(s) from {}", importId, reason.kind(), deleted,
                directory);
    }

    /** The files of an import, sorted by name; empty if it has none (yet, or any more). */
    public List<String> files(String importId) {
        Path directory = directoryOf(importId);
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private void writeBatch(Path directory, int batch) throws IOException {
        StringBuilder csv = new StringBuilder("sku,name,price\n");
        for (int row = 0; row < rowsPerBatch; row++) {
            int sku = (batch - 1) * rowsPerBatch + row + 1;
            csv.append("SKU-").append(sku).append(",Item ").append(sku).append(',')
                    .append(5 + sku % 95).append(".99\n");
        }
        Files.writeString(directory.resolve(String.format("part-%04d.csv", batch)), csv);
    }

    private static int deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return 0;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(directory)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList(); // children before their directory
        }
        int files = 0;
        for (Path path : paths) {
            if (Files.isRegularFile(path)) {
                files++;
            }
            Files.deleteIfExists(path);
        }
        return files;
    }
}
