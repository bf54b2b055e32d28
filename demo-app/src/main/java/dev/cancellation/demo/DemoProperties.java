package dev.cancellation.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the demo's simulated work, bound from {@code demo.*}. The time budgets themselves live on the
 * {@code @Cancellable} annotations (with {@code ${demo...}} placeholders), where a reader of the code sees them.
 *
 * @param outputDir where imports write their files and workers their checkpoints
 * @param report the sales report
 * @param imports the catalog import
 * @param workers the background workers
 * @param sync the fan-out catalog sync
 * @param batch the nightly report (a Spring Batch job)
 */
@ConfigurationProperties("demo")
public record DemoProperties(@DefaultValue("./demo-output") Path outputDir, @DefaultValue Report report,
        @DefaultValue Imports imports, @DefaultValue Workers workers, @DefaultValue Sync sync,
        @DefaultValue Batch batch) {

    /** @param perMonth simulated query time per month of the report */
    public record Report(@DefaultValue("200ms") Duration perMonth) {
    }

    /**
     * @param batches batches per import (one file each)
     * @param batchInterval simulated time to fetch one batch from the supplier
     * @param rowsPerBatch rows in each file
     */
    public record Imports(@DefaultValue("30") int batches, @DefaultValue("1s") Duration batchInterval,
            @DefaultValue("100") int rowsPerBatch) {
    }

    /**
     * @param count how many worker loops run
     * @param interval pause between two polls of a worker
     */
    public record Workers(@DefaultValue("3") int count, @DefaultValue("2s") Duration interval) {
    }

    /**
     * @param regions one child task per region
     * @param pages pages per region
     * @param pageInterval simulated time to sync one page
     */
    public record Sync(@DefaultValue({"eu-west", "us-east", "ap-south"}) List<String> regions,
            @DefaultValue("20") int pages, @DefaultValue("1s") Duration pageInterval) {
    }

    /**
     * @param items stores the nightly report reads when the start request names no number
     * @param chunk stores per chunk: the items of a chunk are written and committed together
     * @param itemDelay simulated time to total one store's sales (a cancellable sleep)
     */
    public record Batch(@DefaultValue("200") int items, @DefaultValue("10") int chunk,
            @DefaultValue("50ms") Duration itemDelay) {
    }
}
