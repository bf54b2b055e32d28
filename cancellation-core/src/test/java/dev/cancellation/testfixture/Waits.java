package dev.cancellation.testfixture;

import java.time.Duration;

/**
 * How long a test waits for something that should happen: the one bound every module's tests share (this class
 * ships in the core's test-jar).
 */
public final class Waits {

    /**
     * A generous upper bound for anything that should happen promptly on a loaded 2-core CI machine; short enough
     * to catch a hang. Only a failing test waits this long: not for a wait that is expected to run out.
     */
    public static final Duration PROMPTLY = Duration.ofSeconds(20);

    private Waits() {
    }
}
