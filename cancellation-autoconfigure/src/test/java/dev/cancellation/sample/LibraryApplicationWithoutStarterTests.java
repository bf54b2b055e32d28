package dev.cancellation.sample;

import org.springframework.test.context.TestPropertySource;

/**
 * The library's own tests once more with the starter switched off ({@code cancellation.enabled=false}): the
 * baseline that {@link LibraryApplicationTests}, with the starter on, must match test for test.
 */
@TestPropertySource(properties = "cancellation.enabled=false")
class LibraryApplicationWithoutStarterTests extends LibraryApplicationTests {
}
