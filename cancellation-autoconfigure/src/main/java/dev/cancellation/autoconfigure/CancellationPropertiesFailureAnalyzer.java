package dev.cancellation.autoconfigure;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.origin.Origin;
import org.springframework.core.Ordered;
import org.springframework.core.ResolvableType;

/**
 * Reports a {@code cancellation.*} property that failed to bind the way Spring Boot reports its own bad
 * properties, and adds what the property accepts. It covers both a value our setters reject
 * ({@link InvalidCancellationPropertyException}, e.g. {@code cancellation.cleanup.threads=0}) and a value that is
 * not of the property's type at all ({@code cancellation.default-timeout=10 parsecs}):
 * <pre>
 * Invalid value for a cancellation property:
 *
 *     Property: cancellation.cleanup.threads
 *     Value: "0"
 *     Origin: class path resource [application.properties] - 3:30
 *     Allowed: 1 to 1000
 *     Reason: cancellation.cleanup.threads must be at least 1, but was 0
 * </pre>
 * Bind failures of other prefixes are left to Boot's own analyzer, which runs after this one.
 *
 * <p>Registered in {@code META-INF/spring.factories}; Boot calls it once, on the failing startup's thread.
 */
public class CancellationPropertiesFailureAnalyzer extends AbstractFailureAnalyzer<BindException> implements Ordered {

    private static final String PREFIX = "cancellation.";

    @Override
    protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
        ConfigurationProperty property = cause.getProperty();
        String name = (property != null) ? property.getName().toString() : cause.getName().toString();
        if (!name.startsWith(PREFIX)) {
            return null;
        }
        InvalidCancellationPropertyException invalid = findCause(cause, InvalidCancellationPropertyException.class);
        if (invalid != null && property == null) {
            name = invalid.property();
        }
        String allowed = (invalid != null) ? invalid.allowed() : allowedFor(cause.getTarget().getType());
        StringBuilder description = new StringBuilder("Invalid value for a cancellation property:\n\n");
        description.append("    Property: ").append(name).append('\n');
        if (property != null) {
            description.append("    Value: \"").append(property.getValue()).append("\"\n");
            Origin origin = property.getOrigin();
            if (origin != null) {
                description.append("    Origin: ").append(origin).append('\n');
            }
        } else if (invalid != null) {
            description.append("    Value: \"").append(invalid.value()).append("\"\n");
        }
        description.append("    Allowed: ").append(allowed).append('\n');
        description.append("    Reason: ").append(reason(cause, invalid)).append('\n');
        String action = "Change " + name + " to an allowed value (" + allowed
                + ") in your application's configuration, or remove it to use the default.";
        return new FailureAnalysis(description.toString(), action, cause);
    }

    /** Before Boot's general bind failure analyzer, which would otherwise report these without the allowed values. */
    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }

    private static String reason(BindException cause, @Nullable InvalidCancellationPropertyException invalid) {
        if (invalid != null) {
            return invalid.getMessage();
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return (root.getMessage() != null) ? root.getMessage() : root.toString();
    }

    /** What a value that did not convert should have looked like, from the property's type. */
    static String allowedFor(ResolvableType type) {
        Class<?> resolved = type.resolve(Object.class);
        if (resolved == Duration.class) {
            return "a duration such as 500ms, 30s, 2m or PT2M";
        }
        if (resolved == Boolean.class || resolved == boolean.class) {
            return "true or false";
        }
        if (resolved == Integer.class || resolved == int.class || resolved == Long.class || resolved == long.class) {
            return "a whole number";
        }
        if (resolved.isEnum()) {
            return "one of " + java.util.Arrays.toString(resolved.getEnumConstants());
        }
        return "a value of type " + resolved.getSimpleName();
    }
}
