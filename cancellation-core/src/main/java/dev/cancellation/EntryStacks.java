package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * A set of lock-free stacks of timer entries, through which producers hand entries to the timer thread: one
 * {@link TimerEntry#link}-linked Treiber stack per stripe, newest first, the stripe picked by the pushing thread's
 * id so that producers on different cores do not contend for one cache line.
 *
 * <p>Thread-safety: {@link #push} and {@link #peek} may be called from any thread; {@link #take} only by the one
 * consumer (the timer thread), which then owns the {@code link}s of the entries it took. An entry is pushed onto
 * a given set at most once, which is what lets a push read its head's depth without the ABA problem.
 */
final class EntryStacks {

    /**
     * Producers push onto one of this many stacks (by thread id), so that threads on different cores do not
     * contend for one cache line: a power of two, about twice the processors, at most 64.
     */
    static final int STRIPES = Math.min(64,
            Integer.highestOneBit(Math.max(2, Runtime.getRuntime().availableProcessors()) * 2 - 1) << 1);

    /** Array slots between two stack heads: 128 bytes with compressed references, so no two share a cache line. */
    private static final int SPACING = 32;

    private static final VarHandle HEADS = MethodHandles.arrayElementVarHandle(TimerEntry[].class);

    /**
     * Stack heads, linked through {@link TimerEntry#link}: stripe {@code i} at index {@code (i + 1) * SPACING}
     * (padding before the first, after the last), accessed through {@link #HEADS}.
     */
    private final @Nullable TimerEntry[] heads = new TimerEntry[(STRIPES + 1) * SPACING];

    /** Treiber push onto this thread's stripe; returns the stripe's depth since the consumer last took it. */
    int push(TimerEntry entry) {
        @SuppressWarnings("deprecation") // Thread.threadId() is Java 19+
        int index = (((int) Thread.currentThread().getId() & (STRIPES - 1)) + 1) * SPACING;
        TimerEntry head;
        do {
            head = (TimerEntry) HEADS.getVolatile(heads, index);
            entry.link = head;
            // head cannot be taken and relinked while still the head: entries are pushed onto a stack only once.
            entry.depth = (head == null) ? 1 : head.depth + 1;
        } while (!HEADS.compareAndSet(heads, index, head, entry));
        return entry.depth;
    }

    /** Empties one stripe and returns its entries, newest first; consumer only. */
    @Nullable TimerEntry take(int stripe) {
        return (TimerEntry) HEADS.getAndSet(heads, (stripe + 1) * SPACING, (TimerEntry) null);
    }

    /** The newest entry of one stripe, {@code null} if it is empty. */
    @Nullable TimerEntry peek(int stripe) {
        return (TimerEntry) HEADS.getVolatile(heads, (stripe + 1) * SPACING);
    }

    /** Whether any stripe holds an entry. */
    boolean isEmpty() {
        for (int stripe = 0; stripe < STRIPES; stripe++) {
            if (peek(stripe) != null) {
                return false;
            }
        }
        return true;
    }
}
