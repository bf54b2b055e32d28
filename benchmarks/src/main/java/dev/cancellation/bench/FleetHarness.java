package dev.cancellation.bench;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.cluster.FleetSettings;
import dev.cancellation.cluster.RedisFleet;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.SynchronousQueue;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import redis.embedded.RedisServer;

/**
 * The fleet on a real {@code redis-server} on loopback (the binary of {@code com.github.codemonstur:embedded-redis}):
 *
 * <ol>
 * <li><b>Remote cancel latency</b>: two fleet members A and B (each its own registry and Lettuce connection, in this
 * JVM). A task on B parks its thread in {@code Cancellation.sleep}; the clock runs from the cancel call to that
 * thread observing the cancellation. {@code remote}: {@code fleetA.cancel(id)} (request over Redis pub/sub to B,
 * which cancels; A's call also waits for B's reply, reported as {@code remote answer}). {@code local}:
 * {@code registryB.cancel(id)} on B itself. Both scenarios are interleaved round by round, so load from other
 * processes hits them alike; the first {@code warmup} rounds are dropped; percentiles are exact.
 * <li><b>Heartbeat cost</b> per instance with 1, 1,000 and 10,000 live tasks, publishing at most 1,000 (the
 * default) or all of them: mean time of one heartbeat (snapshot + JSON + three Redis commands) on the calling
 * thread, of the snapshot alone, and the published size.
 * </ol>
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.cancellation.bench.FleetHarness [rounds] [warmup] [out.txt]}
 */
public final class FleetHarness {

    private static final CancellationReason REASON = CancellationReason.requested("benchmark", "harness");

    public static void main(String[] args) throws Exception {
        int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 2000;
        int warmup = (args.length > 1) ? Integer.parseInt(args[1]) : 500;
        PrintStream out = (args.length > 2)
                ? new PrintStream(Files.newOutputStream(Path.of(args[2])), true, StandardCharsets.UTF_8) : System.out;
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        RedisServer redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
                .setting("appendonly no").build();
        redis.start();
        try {
            out.printf(Locale.ROOT, "FleetHarness: redis-server on 127.0.0.1:%d, Java %s, %d cores%n", port,
                    Runtime.version(), Runtime.getRuntime().availableProcessors());
            latency(port, rounds, warmup, out);
            heartbeatCost(port, out);
        } finally {
            redis.stop();
        }
        System.exit(0);
    }

    // ---------------------------------------------------------------------------------------- remote cancel

    private static void latency(int port, int rounds, int warmup, PrintStream out) throws Exception {
        TaskRegistry registryA = new TaskRegistry();
        TaskRegistry registryB = new TaskRegistry();
        LettuceConnectionFactory factoryA = factory(port);
        LettuceConnectionFactory factoryB = factory(port);
        RedisFleet fleetA = new RedisFleet(settings("a", 1000), registryA, factoryA, "Redis");
        RedisFleet fleetB = new RedisFleet(settings("b", 1000), registryB, factoryB, "Redis");
        fleetA.start();
        fleetB.start();
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(fleetA.isInFleet() && fleetB.isInFleet())) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("fleet members did not join: " + fleetA.problem());
            }
            Thread.sleep(10);
        }
        Waiter waiter = new Waiter(registryB);
        long[] local = new long[rounds];
        long[] remote = new long[rounds];
        long[] remoteAnswer = new long[rounds];
        for (int round = 0; round < warmup + rounds; round++) {
            boolean remoteFirst = (round % 2 == 0);
            for (int turn = 0; turn < 2; turn++) {
                boolean isRemote = (turn == 0) == remoteFirst;
                String id = waiter.next();
                long t0 = System.nanoTime();
                if (isRemote) {
                    if (fleetA.cancel(id, REASON).isEmpty()) {
                        throw new IllegalStateException("remote cancel did not find task " + id);
                    }
                } else {
                    registryB.cancel(id, REASON);
                }
                long answered = System.nanoTime();
                long observed = waiter.observedAt();
                if (round >= warmup) {
                    if (isRemote) {
                        remote[round - warmup] = observed - t0;
                        remoteAnswer[round - warmup] = answered - t0;
                    } else {
                        local[round - warmup] = observed - t0;
                    }
                }
            }
        }
        out.printf(Locale.ROOT, "%nCancel to observed, %d rounds after %d warm-up rounds (microseconds)%n", rounds,
                warmup);
        out.printf(Locale.ROOT, "%-34s %9s %9s %9s %9s %9s%n", "scenario", "p50", "p90", "p99", "p99.9", "max");
        row(out, "local  (registryB.cancel on B)", local);
        row(out, "remote (fleetA.cancel, B observes)", remote);
        row(out, "remote answer (fleetA.cancel returns)", remoteAnswer);
        waiter.stop();
        fleetA.stop();
        fleetB.stop();
        factoryA.destroy();
        factoryB.destroy();
        registryA.close();
        registryB.close();
    }

    /** One thread on B that runs one task at a time, parked until cancelled. */
    private static final class Waiter {
        private final SynchronousQueue<String> ids = new SynchronousQueue<>();
        private final SynchronousQueue<Long> observed = new SynchronousQueue<>();
        private final Thread thread;

        Waiter(TaskRegistry registry) {
            thread = new Thread(() -> {
                try {
                    while (true) {
                        TaskHandle task = registry.start(new TaskSpec("bench-task", CancellationToken.none(), null,
                                null, null, null));
                        long at;
                        try (TaskAttachment attachment = task.attach()) {
                            try {
                                ids.put(task.id());
                            } catch (InterruptedException stop) {
                                task.exit(null); // the harness is done: this task completes unused
                                return;
                            }
                            try {
                                Cancellation.sleep(Duration.ofHours(1), task.token());
                                at = System.nanoTime();
                            } catch (RuntimeException cancelled) {
                                at = System.nanoTime();
                            }
                        }
                        task.exit(null);
                        observed.put(at);
                    }
                } catch (InterruptedException stop) {
                    // end of the benchmark
                }
            }, "fleet-bench-waiter");
            thread.setDaemon(true);
            thread.start();
        }

        /** The id of the next task, once its thread is parked. */
        String next() throws InterruptedException {
            String id = ids.take();
            while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            return id;
        }

        long observedAt() throws InterruptedException {
            return observed.take();
        }

        /** Stops the thread, which is offering its next, not yet parked, task. */
        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join(10_000);
        }
    }

    // ---------------------------------------------------------------------------------------- heartbeat cost

    private static void heartbeatCost(int port, PrintStream out) throws Exception {
        out.printf(Locale.ROOT, "%nHeartbeat cost per instance (mean of 300 after 100 warm-up; microseconds)%n");
        out.printf(Locale.ROOT, "%-10s %-10s %-11s %13s %13s %14s %12s%n", "live", "published", "omitted",
                "heartbeat µs", "snapshot µs", "payload bytes", "CPU at 1/s");
        LettuceConnectionFactory factory = factory(port);
        for (int live : new int[] { 1, 1_000, 10_000 }) {
            TaskRegistry registry = new TaskRegistry();
            List<TaskHandle> tasks = new ArrayList<>();
            for (int i = 0; i < live; i++) {
                tasks.add(registry.start(new TaskSpec("task-" + (i % 20), CancellationToken.none(),
                        Duration.ofHours(1), null, null, null)));
            }
            for (int limit : new int[] { 1000, 100_000 }) {
                RedisFleet fleet = new RedisFleet(settings("cost-" + live + "-" + limit, limit), registry, factory,
                        "Redis");
                int bytes = 0;
                for (int i = 0; i < 100; i++) {
                    fleet.heartbeat();
                    bytes = fleet.snapshot().getBytes(StandardCharsets.UTF_8).length;
                }
                // interleaved, so that load from other processes hits both alike
                long heartbeatNanos = 0;
                long snapshotNanos = 0;
                for (int i = 0; i < 300; i++) {
                    long start = System.nanoTime();
                    fleet.heartbeat();
                    long middle = System.nanoTime();
                    bytes = fleet.snapshot().getBytes(StandardCharsets.UTF_8).length;
                    snapshotNanos += System.nanoTime() - middle;
                    heartbeatNanos += middle - start;
                }
                double heartbeatMicros = heartbeatNanos / 300.0 / 1000.0;
                double snapshotMicros = snapshotNanos / 300.0 / 1000.0;
                if (!fleet.isInFleet()) {
                    throw new IllegalStateException("heartbeat failed: " + fleet.problem());
                }
                RedisFleet.Published published = fleet.lastPublished();
                out.printf(Locale.ROOT, "%-10d %-10d %-11d %13.1f %13.1f %14d %11.3f%%%n", live,
                        published.tasks(), published.omitted(), heartbeatMicros, snapshotMicros, bytes, heartbeatMicros / 1e6 * 100);
                fleet.stop();
            }
            for (TaskHandle task : tasks) {
                task.cancel(REASON);
                task.exit(null);
            }
            registry.close();
        }
        factory.destroy();
    }

    // ---------------------------------------------------------------------------------------- support

    private static FleetSettings settings(String instance, int maxPublished) {
        return new FleetSettings("bench", instance, Duration.ofSeconds(1), Duration.ofSeconds(10),
                Duration.ofSeconds(2), maxPublished, "cancellation:fleet")
                .withSecrets(java.util.List.of("bench-fleet-key-0123456789abcdefghijklmn")); // cancels need a key
    }

    private static LettuceConnectionFactory factory(int port) {
        LettuceConnectionFactory factory = new LettuceConnectionFactory(
                new RedisStandaloneConfiguration("127.0.0.1", port),
                LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2)).build());
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    private static void row(PrintStream out, String name, long[] samples) {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        out.printf(Locale.ROOT, "%-34s %9.1f %9.1f %9.1f %9.1f %9.1f%n", name, pct(sorted, 0.50),
                pct(sorted, 0.90), pct(sorted, 0.99), pct(sorted, 0.999), sorted[sorted.length - 1] / 1000.0);
    }

    private static double pct(long[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1000.0;
    }
}
