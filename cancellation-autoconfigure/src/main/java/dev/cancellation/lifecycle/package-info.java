/**
 * Tasks in Spring's lifecycle. Graceful shutdown of running tasks: {@link CancellationLifecycle}, a
 * {@code SmartLifecycle} in the phase of the web server's graceful shutdown, drains, cancels, waits for and reports
 * the registry's tasks when the context closes. The task log: {@link TaskEventLog}, one line per task event under
 * the logger {@code dev.cancellation.tasks} at DEBUG.
 *
 * <p>API: every type. {@link ShutdownDrain} is the extension point for work that gets a drain period before it is
 * cancelled (the HTTP requests in flight of {@code dev.cancellation.web}). Wired by
 * {@code dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration} and
 * {@code dev.cancellation.autoconfigure.CancellationTaskLogAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.lifecycle;

import org.jspecify.annotations.NullMarked;
