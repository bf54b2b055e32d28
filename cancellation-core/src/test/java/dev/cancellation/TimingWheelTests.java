package dev.cancellation;

import static dev.cancellation.Internals.size;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The timer's index on synthetic time: which entries come due at which tick, in which order, across both levels
 * and many revolutions, without a thread or a clock.
 */
class TimingWheelTests {

    private static final long TICK = TimerClock.TICK_NANOS;
    private static final long HOUR_TICKS = 3_600_000_000_000L / TICK;

    private static Timer.Task entry(long deadlineNanos) {
        return new Timer.Task(null, deadlineNanos, () -> { });
    }

    private static List<TimerEntry> advance(TimingWheel wheel, long nowTick) {
        List<TimerEntry> due = new ArrayList<>();
        wheel.advance(nowTick, due);
        return due;
    }

    @Test
    void anEntryComesDueAtTheFirstTickAtOrAfterItsDeadlineNeverBefore() {
        TimingWheel wheel = new TimingWheel(0);
        Timer.Task entry = entry(5 * TICK + 1); // just after tick 5 starts: due at tick 6
        assertThat(wheel.add(entry)).isTrue();

        assertThat(advance(wheel, 5)).isEmpty();
        assertThat(wheel.nextEventTick()).isEqualTo(6);
        assertThat(advance(wheel, 6)).containsExactly(entry);
        assertThat(size(wheel)).isZero();
        assertThat(entry.slot).isEqualTo(TimerEntry.REMOVED);
    }

    @Test
    void dueEntriesComeInDeadlineOrderAcrossAndWithinTicks() {
        TimingWheel wheel = new TimingWheel(0);
        Timer.Task late = entry(9 * TICK);
        Timer.Task sameTickLater = entry(3 * TICK - 10);
        Timer.Task sameTickEarlier = entry(2 * TICK + 10);
        Timer.Task first = entry(TICK);
        for (Timer.Task e : List.of(late, sameTickLater, sameTickEarlier, first)) {
            wheel.add(e);
        }

        assertThat(advance(wheel, 100)).containsExactly(first, sameTickEarlier, sameTickLater, late);
    }

    @Test
    void anEntryWhoseTickHasPassedIsRefusedSoTheCallerFiresIt() {
        TimingWheel wheel = new TimingWheel(0);
        advance(wheel, 10);

        assertThat(wheel.add(entry(10 * TICK))).isFalse();
        assertThat(wheel.add(entry(11 * TICK))).isTrue();
    }

    @Test
    void longDelaysGoRoundLevelOneAndComeDueExactlyOnTheirTick() {
        TimingWheel wheel = new TimingWheel(0);
        Timer.Task inOneHour = entry(HOUR_TICKS * TICK);
        Timer.Task inTenHours = entry(10 * HOUR_TICKS * TICK + 7 * TICK); // beyond level 1's ~4.66 h: rounds
        Timer.Task inFiveSeconds = entry(5_000 * TICK); // just beyond level 0's 4,096 ticks
        wheel.add(inOneHour);
        wheel.add(inTenHours);
        wheel.add(inFiveSeconds);

        assertThat(wheel.nextEventTick()).isBetween(1L, 5_000L);
        assertThat(advance(wheel, 4_999)).isEmpty();
        assertThat(advance(wheel, 5_000)).containsExactly(inFiveSeconds);
        assertThat(advance(wheel, HOUR_TICKS - 1)).isEmpty();
        assertThat(advance(wheel, HOUR_TICKS)).containsExactly(inOneHour);
        assertThat(wheel.nextEventTick()).isGreaterThan(HOUR_TICKS).isLessThanOrEqualTo(10 * HOUR_TICKS + 7);
        assertThat(advance(wheel, 10 * HOUR_TICKS + 6)).isEmpty();
        assertThat(advance(wheel, 10 * HOUR_TICKS + 7)).containsExactly(inTenHours);
        assertThat(size(wheel)).isZero();
        assertThat(wheel.nextEventTick()).isEqualTo(TimingWheel.NONE);
    }

    @Test
    void theLargestDeadlineIsHeldWithoutOverflowing() {
        TimingWheel wheel = new TimingWheel(0);
        Timer.Task never = entry(TimerClock.MAX_DEADLINE);
        assertThat(wheel.add(never)).isTrue();

        assertThat(advance(wheel, 1_000 * HOUR_TICKS)).isEmpty(); // 41 days of revolutions
        assertThat(size(wheel)).isOne();
        assertThat(wheel.nextEventTick()).isGreaterThan(1_000 * HOUR_TICKS).isLessThan(TimingWheel.NONE);
    }

    @Test
    void removedAndDisarmedEntriesNeverComeDue() {
        TimingWheel wheel = new TimingWheel(0);
        Timer.Task removed = entry(3 * TICK);
        Timer.Task disarmedNear = entry(4 * TICK);
        Timer.Task disarmedFar = entry(HOUR_TICKS * TICK);
        Timer.Task kept = entry(5 * TICK);
        for (Timer.Task e : List.of(removed, disarmedNear, disarmedFar, kept)) {
            wheel.add(e);
        }

        wheel.remove(removed);
        wheel.remove(removed); // idempotent
        assertThat(disarmedNear.cancel()).isTrue(); // no timer: the wheel finds out by itself
        assertThat(disarmedFar.cancel()).isTrue();

        assertThat(advance(wheel, 2 * HOUR_TICKS)).containsExactly(kept);
        assertThat(size(wheel)).isZero();
    }

    /** Random adds, removals and jumps in time against a simple model: same entries, same order, same ticks. */
    @Test
    void agreesWithASortedListModelUnderRandomOperations() {
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            long start = random.nextInt(1 << 20);
            TimingWheel wheel = new TimingWheel(start);
            List<Timer.Task> model = new ArrayList<>();
            Set<Timer.Task> removed = new HashSet<>();
            long now = start - 1;
            for (int step = 0; step < 3_000; step++) {
                int op = random.nextInt(10);
                if (op < 6) {
                    long ahead = switch (random.nextInt(4)) {
                        case 0 -> random.nextInt(10);
                        case 1 -> random.nextInt(TimingWheel.SIZE * 2);
                        case 2 -> random.nextInt(TimingWheel.SIZE * 10);
                        default -> (long) random.nextInt(Integer.MAX_VALUE) * 16; // up to ~1 year
                    };
                    Timer.Task e = entry((now + 1 + ahead) * TICK - random.nextInt((int) TICK));
                    assertThat(wheel.add(e)).isTrue();
                    model.add(e);
                } else if (op < 7 && !model.isEmpty()) {
                    Timer.Task e = model.remove(random.nextInt(model.size()));
                    wheel.remove(e);
                    removed.add(e);
                } else {
                    long next = wheel.nextEventTick();
                    long jump = switch (random.nextInt(3)) {
                        case 0 -> 1 + random.nextInt(5);
                        case 1 -> 1 + random.nextInt(TimingWheel.SIZE * 3);
                        default -> (next == TimingWheel.NONE) ? 1 : Math.max(1, next - now); // straight to the event
                    };
                    long target = now + jump;
                    if (next != TimingWheel.NONE) {
                        assertThat(next).as("next event").isGreaterThan(now);
                        long firstDue = model.stream().mapToLong(TimerEntry::tick).min().orElseThrow();
                        assertThat(next).as("next event is no later than the first due tick")
                                .isLessThanOrEqualTo(firstDue);
                    }
                    List<TimerEntry> due = advance(wheel, target);
                    List<Timer.Task> expected = model.stream().filter(e -> e.tick() <= target)
                            .sorted(Comparator.comparingLong((Timer.Task e) -> e.tick())
                                    .thenComparingLong(e -> e.deadline))
                            .toList();
                    assertThat(due).as("due up to tick %d", target).containsExactlyElementsOf(expected);
                    model.removeAll(expected);
                    now = target;
                }
                assertThat(size(wheel)).isEqualTo(model.size());
            }
            assertThat(removed).allSatisfy(e -> assertThat(e.slot).isEqualTo(TimerEntry.REMOVED));
        }
    }
}
