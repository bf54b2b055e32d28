package dev.cancellation.task;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Generates task ids: 16 hex digits, SipHash-2-4 of a per-registry counter under a random 128-bit key.
 *
 * <p>Why not random numbers: {@code ThreadLocalRandom} output can be predicted from earlier ids, and
 * {@code SecureRandom} per id is far too slow for a hot path. A keyed pseudo-random function of a counter is both
 * cheap (a few tens of nanoseconds, one atomic increment) and unguessable without the key, which never leaves
 * this object. Distinct counters rarely collide; the registry retries on the (astronomically unlikely) clash
 * with a live id, so live ids are unique.
 *
 * <p>Thread-safety: lock-free; {@link #next()} may be called from any thread.
 */
final class TaskIds {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final long k0;
    private final long k1;
    private final AtomicLong counter;

    TaskIds() {
        SecureRandom random = new SecureRandom();
        this.k0 = random.nextLong();
        this.k1 = random.nextLong();
        this.counter = new AtomicLong(random.nextLong());
    }

    String next() {
        long value = sipHash24(counter.getAndIncrement());
        char[] text = new char[16];
        for (int i = 15; i >= 0; i--) {
            text[i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
        return new String(text);
    }

    /** SipHash-2-4 of one 8-byte little-endian message word. */
    long sipHash24(long message) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        long lengthBlock = 8L << 56;

        v3 ^= message;
        for (int i = 0; i < 2; i++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= message;

        v3 ^= lengthBlock;
        for (int i = 0; i < 2; i++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= lengthBlock;

        v2 ^= 0xff;
        for (int i = 0; i < 4; i++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
