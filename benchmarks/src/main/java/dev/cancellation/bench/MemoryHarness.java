package dev.cancellation.bench;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.task.CleanupAction;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.openjdk.jol.info.GraphLayout;

/**
 * Row 7: retained memory per idle token, per child and per registered task, as the heap delta over 100,000
 * live instances after full GCs (run with {@code -XX:+UseSerialGC} so that "used" is exact after a GC), cross
 * checked with JOL's object graph walk where the graph is self-contained, and a JOL footprint of one instance of
 * each so that the README can say what the bytes are made of.
 *
 * <p>Usage: {@code java -XX:+UseSerialGC -Xmx2g -cp benchmarks.jar dev.cancellation.bench.MemoryHarness [n] [out]}
 */
public final class MemoryHarness {

    private static final Consumer<CancellationReason> CALLBACK = reason -> { };
    private static final CleanupAction CLEANUP = (task, reason, token) -> null;

    public static void main(String[] args) throws Exception {
        int n = (args.length > 0) ? Integer.parseInt(args[0]) : 100_000;
        Path out = (args.length > 1) ? Path.of(args[1]) : null;
        StringBuilder report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "Retained memory, %d instances, JDK %s, %s%n", n,
                Runtime.version(), ManagementFactory.getRuntimeMXBean().getInputArguments()));
        report.append(String.format(Locale.ROOT, "%-62s %14s %14s%n", "what", "heap delta B", "JOL graph B"));

        row(report, "idle root token (CancellationToken alone)", n,
                i -> CancellationSource.create().token(), true);
        row(report, "idle root source + its token", n, i -> CancellationSource.create(), true);
        CancellationSource parent = CancellationSource.create();
        row(report, "child source + token + link in the shared parent", n,
                i -> CancellationSource.childOf(parent.token()), false);
        row(report, "child source with 1 onCancel callback", n, i -> {
            CancellationSource child = CancellationSource.childOf(parent.token());
            child.token().onCancel(CALLBACK);
            return child;
        }, false);
        row(report, "timed root source (withTimeout 1h, timer entry)", n,
                i -> CancellationSource.withTimeout(Duration.ofHours(1).plusNanos(i)), false);
        row(report, "registration (onCancel on a shared live token)", n,
                i -> parent.token().onCancel(CALLBACK), false);
        parent.cancel();

        TaskSpec plain = new TaskSpec("bench", CancellationToken.none(), null, null, Duration.ZERO, null);
        TaskSpec typical = new TaskSpec("bench", CancellationToken.none(), Duration.ofHours(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), CLEANUP);
        registryRow(report, "registered task (start, no exit), no timeout", n, plain);
        registryRow(report, "registered task, 1h timeout + interrupt grace + cleanup", n, typical);

        report.append(System.lineSeparator()).append("JOL footprint of one child source and its parent source "
                + "(ReferenceQueue and its Lock are the shared static queue of collected children):")
                .append(System.lineSeparator());
        CancellationSource p2 = CancellationSource.create();
        CancellationSource child = CancellationSource.childOf(p2.token());
        report.append(GraphLayout.parseInstance(child, p2).toFootprint());

        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report.toString());
        }
    }

    private static void row(StringBuilder report, String what, int n, IntFunction<Object> factory, boolean jol)
            throws InterruptedException {
        Object[] keep = new Object[n];
        long before = usedAfterGc();
        for (int i = 0; i < n; i++) {
            keep[i] = factory.apply(i);
        }
        long after = usedAfterGc();
        double heap = (after - before) / (double) n;
        String jolText = "-";
        if (jol) {
            GraphLayout layout = GraphLayout.parseInstance(keep);
            long arrayBytes = GraphLayout.parseInstance((Object) new Object[0]).totalSize()
                    + 4L * n; // compressed references; the holder array is ours, not the library's
            jolText = String.format(Locale.ROOT, "%.1f", (layout.totalSize() - arrayBytes) / (double) n);
        }
        report.append(String.format(Locale.ROOT, "%-62s %14.1f %14s%n", what, heap, jolText));
        java.lang.ref.Reference.reachabilityFence(keep);
    }

    private static void registryRow(StringBuilder report, String what, int n, TaskSpec spec) throws Exception {
        TaskRegistry registry = new TaskRegistry();
        TaskHandle[] keep = new TaskHandle[n];
        long before = usedAfterGc();
        for (int i = 0; i < n; i++) {
            keep[i] = registry.start(spec);
        }
        long after = usedAfterGc();
        double perTask = (after - before) / (double) n; // the holder array was allocated before 'before'
        report.append(String.format(Locale.ROOT, "%-62s %14.1f %14s%n", what, perTask, "-"));
        for (TaskHandle handle : keep) {
            handle.exit(null);
        }
        registry.close();
    }

    private static long usedAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            drainCollectedChildLinks();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /**
     * Links of children collected earlier sit in the library's reference queue until a later link expunges them
     * (up to ~1000 per call): make that happen now, so that one row's garbage is not freed inside the next.
     */
    private static void drainCollectedChildLinks() {
        CancellationSource scratch = CancellationSource.create();
        for (int i = 0; i < 400; i++) {
            CancellationSource.childOf(scratch.token()).close();
        }
    }

    private MemoryHarness() {
    }
}
