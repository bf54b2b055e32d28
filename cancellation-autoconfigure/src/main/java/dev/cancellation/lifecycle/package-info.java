/**
 * Graceful shutdown of running tasks, wired into Spring's lifecycle: {@link CancellationLifecycle}, a
 * {@code SmartLifecycle} in the phase of the web server's graceful shutdown, drains, cancels, waits for and reports
 * the registry's tasks when the context closes.
 *
 * <p>API: both types. {@link ShutdownDrain} is the extension point for work that gets a drain period before it is
 * cancelled (the HTTP requests in flight of {@code dev.cancellation.web}). Wired by
 * {@code dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.lifecycle;

import org.jspecify.annotations.NullMarked;
