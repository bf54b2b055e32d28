package dev.cancellation.task;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generates task ids: 16 hex digits, SipHash-2-4 of a per-registry counter under a random 128-bit key.
 *
 * <p>Why not random numbers: {@code ThreadLocalRandom} output can be predicted from earlier ids, and
 * {@code SecureRandom} or {@code UUID.randomUUID()} per id cost several times as much ({@code TaskIdBenchmark}). A
 * keyed pseudo-random function of a counter is cheap (one atomic increment and a few dozen arithmetic
 * instructions) and unguessable without the key, which never leaves this object. Distinct counters rarely
 * collide; the registry retries on the (astronomically unlikely) clash with a live id, so live ids are unique.
 *
 * <p>Thread-safety: lock-free; {@link #next()} may be called from any thread.
 */
final class TaskIds {

    private static final HexFormat HEX = HexFormat.of();

    private final long k0;
    private final long k1;
    private final AtomicLong counter;

    /** Ids under a fresh random key, from a random starting counter. */
    TaskIds() {
        this(new SecureRandom());
    }

    private TaskIds(SecureRandom random) {
        this(random.nextLong(), random.nextLong(), random.nextLong());
    }

    /**
     * Ids under the key {@code (k0, k1)} (the two little-endian halves of SipHash's 16-byte key), counting from
     * {@code firstCounter}.
     */
    TaskIds(long k0, long k1, long firstCounter) {
        this.k0 = k0;
        this.k1 = k1;
        this.counter = new AtomicLong(firstCounter);
    }

    String next() {
        return HEX.toHexDigits(sipHash24(counter.getAndIncrement()));
    }

    /**
     * SipHash-2-4 of one 8-byte message, read little-endian as {@code message}: two compression rounds for the
     * message block and two for the length block, then four finalization rounds.
     */
    long sipHash24(long message) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        long lengthBlock = 8L << 56; // no bytes left over; the length (8) in the top byte
        for (int round = 0; round < 8; round++) {
            if (round == 0) {
                v3 ^= message;
            } else if (round == 2) {
                v0 ^= message;
                v3 ^= lengthBlock;
            } else if (round == 4) {
                v0 ^= lengthBlock;
                v2 ^= 0xff;
            }
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
