package dev.cancellation;

import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The timer thread's index of pending entries: a two-level hashed timing wheel with {@link TimerClock#TICK_NANOS}
 * ticks. Level 0 has one bucket per tick for the next {@value #SIZE} ticks (about 4 s); level 1 has one bucket
 * per {@value #SIZE} ticks (about 4.66 h per revolution). An entry beyond level 1's horizon stays in the level-1
 * bucket of its block and is looked at once per revolution until its block comes round. When a level-1 block
 * begins, its bucket is cascaded into level 0. Buckets are doubly-linked lists through the entries themselves,
 * so adding and removing is O(1) and allocates nothing.
 *
 * <p>Not thread-safe: confined to the timer thread (and to unit tests). The one field other threads read is
 * {@link TimerEntry#slot}, which is volatile for the disarming handshake described in {@link Timer}.
 */
final class TimingWheel {

    static final int BITS = 12;
    static final int SIZE = 1 << BITS;
    static final int MASK = SIZE - 1;

    /** {@link #nextEventTick()} when the wheel is empty. */
    static final long NONE = Long.MAX_VALUE;

    private static final Comparator<TimerEntry> BY_DEADLINE = Comparator.comparingLong(e -> e.deadline);

    /** Level 0 in {@code [0, SIZE)}, level 1 in {@code [SIZE, 2 * SIZE)}. */
    private final @Nullable TimerEntry[] buckets = new TimerEntry[2 * SIZE];

    /** The next tick to process: every tick before it has been expired. */
    private long current;

    private int near;
    private int far;

    TimingWheel(long startTick) {
        this.current = startTick;
    }

    long current() {
        return current;
    }

    /**
     * Files an entry under its tick. Returns {@code false}, without filing it, if that tick has already been
     * processed: the caller must fire it now.
     */
    boolean add(TimerEntry entry) {
        long tick = entry.tick();
        if (tick < current) {
            return false;
        }
        link(entry, tick);
        return true;
    }

    /** Removes an entry if the wheel still holds it; does nothing otherwise. */
    void remove(TimerEntry entry) {
        int index = entry.slot;
        if (index >= 0) {
            unlink(entry, index);
            entry.slot = TimerEntry.REMOVED;
        }
    }

    /**
     * Processes every tick up to and including {@code nowTick}: appends the pending entries that are due to
     * {@code due}, in tick order and, within a tick, in deadline order; drops cancelled ones.
     */
    void advance(long nowTick, List<@Nullable TimerEntry> due) {
        while (current <= nowTick) {
            if (near == 0 && far == 0) {
                current = nowTick + 1; // nothing to expire or cascade on the way
                return;
            }
            if ((current & MASK) == 0) {
                cascade();
            }
            if (near == 0) {
                current = Math.min((current | MASK) + 1, nowTick + 1); // skip to the next level-1 block
                continue;
            }
            expire(due);
            current++;
        }
    }

    /**
     * The first tick at which {@link #advance} has something to do (an entry to expire or a non-empty level-1
     * bucket to cascade), or {@link #NONE} if the wheel is empty. At most two scans of {@value #SIZE} buckets.
     */
    long nextEventTick() {
        if (near == 0 && far == 0) {
            return NONE;
        }
        long best = NONE;
        if (near > 0) {
            // Every level-0 entry's tick lies in [current, current + SIZE): the first filled bucket is the earliest.
            for (long tick = current; tick < current + SIZE; tick++) {
                if (buckets[(int) (tick & MASK)] != null) {
                    best = tick;
                    break;
                }
            }
        }
        if (far > 0) {
            long boundary = (current + MASK) & ~((long) MASK);
            for (int k = 0; k < SIZE; k++) {
                long blockStart = boundary + ((long) k << BITS);
                if (blockStart >= best) {
                    break;
                }
                if (buckets[SIZE + (int) ((blockStart >>> BITS) & MASK)] != null) {
                    best = blockStart;
                    break;
                }
            }
        }
        return best;
    }

    private void link(TimerEntry entry, long tick) {
        int index;
        if (tick - current < SIZE) {
            index = (int) (tick & MASK);
            near++;
        } else {
            index = SIZE + (int) ((tick >>> BITS) & MASK);
            far++;
        }
        TimerEntry head = buckets[index];
        entry.prev = null;
        entry.next = head;
        if (head != null) {
            head.prev = entry;
        }
        buckets[index] = entry;
        entry.slot = index;
    }

    private void unlink(TimerEntry entry, int index) {
        TimerEntry before = entry.prev;
        TimerEntry after = entry.next;
        if (before == null) {
            buckets[index] = after;
        } else {
            before.next = after;
        }
        if (after != null) {
            after.prev = before;
        }
        entry.prev = null;
        entry.next = null;
        if (index < SIZE) {
            near--;
        } else {
            far--;
        }
    }

    /** Moves the level-1 bucket of the block starting at {@link #current} down (or round again, if later). */
    private void cascade() {
        int index = SIZE + (int) ((current >>> BITS) & MASK);
        TimerEntry entry = buckets[index];
        buckets[index] = null;
        while (entry != null) {
            TimerEntry following = entry.next;
            far--;
            entry.prev = null;
            entry.next = null;
            if (entry.state == TimerEntry.PENDING) {
                link(entry, entry.tick()); // tick >= current: its block is this one or a later revolution
            } else {
                entry.slot = TimerEntry.REMOVED; // disarmed: its canceller's removal request finds nothing
            }
            entry = following;
        }
    }

    private void expire(List<@Nullable TimerEntry> due) {
        int index = (int) (current & MASK);
        TimerEntry entry = buckets[index];
        if (entry == null) {
            return;
        }
        buckets[index] = null;
        int first = due.size();
        while (entry != null) {
            TimerEntry following = entry.next;
            near--;
            entry.prev = null;
            entry.next = null;
            entry.slot = TimerEntry.REMOVED;
            if (entry.state == TimerEntry.PENDING) {
                due.add(entry);
            }
            entry = following;
        }
        if (due.size() - first > 1) {
            due.subList(first, due.size()).sort(BY_DEADLINE);
        }
    }
}
