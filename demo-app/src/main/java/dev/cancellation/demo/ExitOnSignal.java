package dev.cancellation.demo;

import java.util.List;
import sun.misc.Signal;

/**
 * Makes SIGTERM and SIGINT (Ctrl-C) end the JVM with exit status 0 instead of the JVM's default 143 / 130.
 *
 * <p>The shutdown itself is unchanged: {@code System.exit} runs the shutdown hooks, so Spring closes the context
 * and the task registry cancels running tasks, waits for their cleanups (within its bound) and logs its report.
 * A stop that went through that graceful path is a success, which is what process supervisors and the demo's
 * end-to-end tests check for.
 */
final class ExitOnSignal {

    private ExitOnSignal() {
    }

    static void install() {
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal.handle(new Signal(name), signal -> System.exit(0));
            } catch (IllegalArgumentException | IllegalStateException unavailable) {
                // The signal is not available here (other OS, or -Xrs): keep the JVM's default handling.
            }
        }
    }
}
