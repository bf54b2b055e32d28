package dev.cancellation.task;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The bounded history of finished tasks: a lock-free ring of the last {@code capacity} entries.
 *
 * <p>Why not a locked deque: every cancelled or failed task adds to it, possibly from many threads at once (a
 * mass cancel), and readers (the endpoint) must never stall them. A writer claims a sequence number and stores
 * its entry in slot {@code seq % capacity} unless a newer entry is already there; a reader copies the slots and
 * sorts by sequence. A snapshot may miss an entry that is being overwritten at that moment, never more.
 *
 * <p>Thread-safety: lock-free; all methods may be called from any thread.
 */
final class TaskHistory {

    private record Entry(long seq, TaskInfo info) {
    }

    private final AtomicReferenceArray<@Nullable Entry> slots;
    private final AtomicLong next = new AtomicLong();

    TaskHistory(int capacity) {
        this.slots = new AtomicReferenceArray<>(capacity);
    }

    void add(TaskInfo info) {
        int capacity = slots.length();
        if (capacity == 0) {
            return;
        }
        long seq = next.getAndIncrement();
        int index = (int) (seq % capacity);
        Entry entry = new Entry(seq, info);
        while (true) {
            Entry existing = slots.get(index);
            if (existing != null && existing.seq() > seq) {
                return; // a writer that lapped this one already stored something newer
            }
            if (slots.compareAndSet(index, existing, entry)) {
                return;
            }
        }
    }

    /** The entries, newest first. */
    List<TaskInfo> newestFirst() {
        List<Entry> entries = new ArrayList<>(slots.length());
        for (int i = 0; i < slots.length(); i++) {
            Entry entry = slots.get(i);
            if (entry != null) {
                entries.add(entry);
            }
        }
        entries.sort(Comparator.comparingLong(Entry::seq).reversed());
        List<TaskInfo> result = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            result.add(entry.info());
        }
        return result;
    }
}
