package dev.cancellation.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;

/**
 * The {@code cancellationconsole} endpoint: serves the operator's console, one HTML page
 * ({@code GET <management base>/cancellationconsole}) and its script
 * ({@code GET <management base>/cancellationconsole/console.js}), both from the jar.
 *
 * <p>The page holds no data and no credentials: its script reads and cancels tasks through the {@code cancellation}
 * endpoint, in the browser, with the operator's own session, so Spring Security and the endpoint's access apply to
 * it exactly as to {@code curl}. It is an actuator endpoint rather than a controller so that it lives wherever the
 * actuator does (base path, separate management port, Spring MVC or WebFlux) and is exposed, secured and switched
 * off like the other endpoints; it has read operations only.
 *
 * <p>Thread-safety: immutable once built; the files are read when it is created.
 */
@WebEndpoint(id = CancellationConsoleEndpoint.ID, defaultAccess = Access.READ_ONLY)
public class CancellationConsoleEndpoint {

    /** The endpoint id, and so its default path under the management base path. */
    public static final String ID = "cancellationconsole";

    /** Where the page and its script are on the class path. */
    public static final String LOCATION = "META-INF/cancellation-console/";

    /** The script's file name, the only file served below the page. */
    public static final String SCRIPT = "console.js";

    private final byte[] page;

    private final byte[] script;

    /** A console for the endpoints mapped at their default paths. */
    public CancellationConsoleEndpoint() {
        this("cancellation", ID, "metrics");
    }

    /**
     * A console whose page finds the endpoints at the given paths, each under the management base path (as mapped
     * by {@code management.endpoints.web.path-mapping.*}).
     *
     * @param endpointPath the path of the {@code cancellation} endpoint ({@code cancellation} by default)
     * @param consolePath the path of this endpoint
     * @param metricsPath the path of the {@code metrics} endpoint, read for the chart when it answers
     */
    public CancellationConsoleEndpoint(String endpointPath, String consolePath, String metricsPath) {
        String html = read("index.html")
                .replace("__ENDPOINT_PATH__", escape(Objects.requireNonNull(endpointPath, "endpointPath")))
                .replace("__CONSOLE_PATH__", escape(Objects.requireNonNull(consolePath, "consolePath")))
                .replace("__METRICS_PATH__", escape(Objects.requireNonNull(metricsPath, "metricsPath")));
        this.page = html.getBytes(StandardCharsets.UTF_8);
        this.script = read(SCRIPT).getBytes(StandardCharsets.UTF_8);
    }

    /** The page. */
    @ReadOperation(produces = "text/html;charset=UTF-8")
    public Resource page() {
        return new ByteArrayResource(page);
    }

    /** The page's script, for {@code file} {@value #SCRIPT}; {@code null} (a 404) for any other name. */
    @ReadOperation(produces = "text/javascript;charset=UTF-8")
    public @Nullable Resource file(@Selector String file) {
        return SCRIPT.equals(file) ? new ByteArrayResource(script) : null;
    }

    private static String read(String name) {
        ClassPathResource resource = new ClassPathResource(LOCATION + name,
                CancellationConsoleEndpoint.class.getClassLoader());
        try (InputStream in = resource.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException ex) {
            throw new UncheckedIOException("The console's " + name + " is missing from the class path at "
                    + LOCATION + name, ex);
        }
    }

    /** {@code value} as HTML attribute text: a path mapping is configuration, but still not markup. */
    private static String escape(String value) {
        return value.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
