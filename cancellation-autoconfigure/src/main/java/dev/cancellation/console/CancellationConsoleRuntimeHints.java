package dev.cancellation.console;

import org.jspecify.annotations.Nullable;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;

/**
 * The runtime hints of the console: its page and script, read from the class path at run time. Imported by the
 * console's auto-configuration ({@code @ImportRuntimeHints}).
 *
 * <p>Stateless; Spring calls it once per AOT processing run.
 */
public class CancellationConsoleRuntimeHints implements RuntimeHintsRegistrar {

    @Override
    public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
        hints.resources().registerPattern(CancellationConsoleEndpoint.LOCATION + "*");
    }
}
