package dev.cancellation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The token stress suite on virtual threads (Java 21+; skipped on older JVMs). Spin locks held by a virtual thread
 * must never wait for another virtual thread to be scheduled, so this is where a lock held across a park would
 * show up as a hang.
 */
@Tag("virtual-threads")
class VirtualThreadTokenStressTests extends AbstractTokenStressTests {

    @Override
    int sleepers() {
        return 10_000;
    }

    @Override
    ThreadFactory threads() {
        return VirtualThreads.factory();
    }

    @Test
    void runsOnVirtualThreads() throws InterruptedException {
        AtomicBoolean virtual = new AtomicBoolean();

        runTogether(1, i -> virtual.set(VirtualThreads.isVirtual(Thread.currentThread())));

        assertThat(virtual).isTrue();
    }
}
