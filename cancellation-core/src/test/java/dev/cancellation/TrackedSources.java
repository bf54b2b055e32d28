package dev.cancellation;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * Test support: a base for token tests that closes every source a test {@linkplain #track tracked}, so no timer
 * or registration outlives its test. Nested test classes reach {@link #track} through their enclosing instance.
 */
abstract class TrackedSources {

    private final List<CancellationSource> sources = new ArrayList<>();

    @AfterEach
    void closeSources() {
        sources.forEach(CancellationSource::close);
    }

    /** Closes {@code source} after the test; returns it. */
    CancellationSource track(CancellationSource source) {
        sources.add(source);
        return source;
    }
}
