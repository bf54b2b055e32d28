package dev.cancellation;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InterruptibleSectionTests {

    private static final class Section extends InterruptibleSection {
        Section(boolean once) {
            super(Thread.currentThread(), once);
        }

        boolean interrupt() {
            return interruptOwner();
        }

        boolean end() {
            return leave();
        }
    }

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void leavingConsumesTheInterruptTheSectionDelivered() {
        Section section = new Section(false);
        assertThat(section.interrupt()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isTrue();

        assertThat(section.end()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(section.interruptDelivered()).isTrue();
    }

    @Test
    void anInterruptSomeoneElseDeliveredIsNeitherDoubledNorConsumed() {
        Thread.currentThread().interrupt();
        Section section = new Section(false);
        assertThat(section.interrupt()).isFalse();

        section.end();
        assertThat(Thread.currentThread().isInterrupted()).isTrue();
        assertThat(section.interruptDelivered()).isFalse();
    }

    @Test
    void noInterruptIsDeliveredAfterTheSectionIsLeftAndLeavingTwiceDoesNothing() {
        Section section = new Section(false);
        assertThat(section.end()).isTrue();
        assertThat(section.interrupt()).isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(section.end()).isFalse();
    }

    @Test
    void aOnceSectionInterruptsOnceAndAnotherDeliversAgainAfterTheFlagWasCleared() {
        Section once = new Section(true);
        assertThat(once.interrupt()).isTrue();
        Thread.interrupted();
        assertThat(once.interrupt()).isFalse();
        once.end();

        Section again = new Section(false);
        assertThat(again.interrupt()).isTrue();
        Thread.interrupted();
        assertThat(again.interrupt()).isTrue();
        again.end();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void leavingOnAnotherThreadEndsTheSectionWithoutTouchingThatThread() throws InterruptedException {
        Section section = new Section(false);
        java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        Thread other = new Thread(() -> ended.set(section.end()));
        other.start();
        other.join();
        assertThat(ended).isTrue();
        assertThat(section.interrupt()).as("left: interrupts nobody").isFalse();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();

        Section interrupted = new Section(false);
        interrupted.interrupt();
        Thread.interrupted(); // join below must not see it; the section still knows it delivered one
        Thread leaver = new Thread(interrupted::end);
        leaver.start();
        leaver.join();
        assertThat(interrupted.interruptDelivered()).isTrue();
    }
}
