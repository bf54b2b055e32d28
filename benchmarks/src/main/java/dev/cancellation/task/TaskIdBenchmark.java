package dev.cancellation.task;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The reason {@link TaskIds} is hand-written: an unguessable task id from a keyed hash of a counter, against what
 * the JDK offers for one. In the registry's package, because {@code TaskIds} is package-private.
 *
 * <ul>
 *   <li>{@code ours_keyedHashOfCounter}: {@code TaskIds.next()}, SipHash-2-4 of a counter, 16 hex digits.</li>
 *   <li>{@code baseline_secureRandomHex}: {@code SecureRandom.nextLong()} in 16 hex digits, equally
 *       unguessable.</li>
 *   <li>{@code baseline_uuidRandom}: {@code UUID.randomUUID().toString()}, the usual choice (36 characters, its
 *       own {@code SecureRandom}).</li>
 *   <li>{@code baseline_threadLocalRandomHex}: {@code ThreadLocalRandom} in 16 hex digits: the floor, but its
 *       output can be predicted from earlier ids, so it is not an option.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TaskIdBenchmark {

    private static final HexFormat HEX = HexFormat.of();

    private final TaskIds ids = new TaskIds();
    private final SecureRandom secureRandom = new SecureRandom();

    @Benchmark
    public String ours_keyedHashOfCounter() {
        return ids.next();
    }

    @Benchmark
    public String baseline_secureRandomHex() {
        return HEX.toHexDigits(secureRandom.nextLong());
    }

    @Benchmark
    public String baseline_uuidRandom() {
        return UUID.randomUUID().toString();
    }

    @Benchmark
    public String baseline_threadLocalRandomHex() {
        return HEX.toHexDigits(ThreadLocalRandom.current().nextLong());
    }
}
