package dev.cancellation.demo.workers;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.demo.DemoProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Background workers that consume order events (the <em>broadcast shutdown</em> pattern): each runs a loop until
 * its token is cancelled, which graceful shutdown does for all of them at once. When a worker stops, its cleanup
 * commits the offset it reached to {@code <output-dir>/workers/<worker>.offset}, so the next start resumes there.
 *
 * <p>Thread-safety: each worker owns its offset counter; the map of counters is concurrent.
 */
@Component
public class OrderEventWorkers {

    private static final Logger log = LoggerFactory.getLogger(OrderEventWorkers.class);

    private final Path checkpoints;
    private final Duration interval;
    private final Map<String, AtomicLong> offsets = new ConcurrentHashMap<>();

    public OrderEventWorkers(DemoProperties properties) {
        this.checkpoints = properties.outputDir().resolve("workers").toAbsolutePath().normalize();
        this.interval = properties.workers().interval();
    }

    /**
     * Polls and processes events until cancelled. Never returns normally: it ends with a
     * {@code TaskCancelledException} from {@code Cancellation.sleep} once the application shuts down.
     */
    @Cancellable(name = "order-events-worker")
    public void run(String worker) throws InterruptedException {
        AtomicLong offset = offsets.computeIfAbsent(worker, name -> new AtomicLong(readCheckpoint(name)));
        log.info("{}: polling order events from offset {}", worker, offset.get());
        while (true) {
            Cancellation.sleep(interval); // wait for the next poll; wakes up at once on cancel
            offset.addAndGet(ThreadLocalRandom.current().nextInt(1, 6)); // "process" a small batch of events
        }
    }

    /** Runs after a worker stopped: commits the offset it reached. */
    @OnCancel("order-events-worker")
    public void commitOffset(CancellationReason reason, String worker) throws IOException {
        long offset = offsets.getOrDefault(worker, new AtomicLong()).get();
        Files.createDirectories(checkpoints);
        Path file = checkpoints.resolve(worker + ".offset");
        Files.writeString(file, Long.toString(offset));
        log.info("{}: stopped ({}), committed offset {} to {}", worker, reason.kind(), offset, file);
    }

    /** The offsets reached so far, by worker. */
    public Map<String, Long> offsets() {
        Map<String, Long> snapshot = new java.util.TreeMap<>();
        offsets.forEach((worker, offset) -> snapshot.put(worker, offset.get()));
        return snapshot;
    }

    private long readCheckpoint(String worker) {
        Path file = checkpoints.resolve(worker + ".offset");
        try {
            return Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : 0;
        } catch (IOException | NumberFormatException unreadable) {
            log.warn("{}: ignoring unreadable checkpoint {}: {}", worker, file, unreadable.toString());
            return 0;
        }
    }
}
