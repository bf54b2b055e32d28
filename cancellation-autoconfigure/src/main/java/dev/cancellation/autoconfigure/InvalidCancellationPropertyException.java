package dev.cancellation.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * A {@code cancellation.*} property has a value of the right type that makes no sense (a negative duration, zero
 * cleanup threads, ...). Thrown by the setters of the properties classes while Spring Boot binds them; Boot wraps
 * it in a bind failure, and {@link CancellationPropertiesFailureAnalyzer} turns that into a startup report naming
 * the property, the value, its origin and what is allowed.
 *
 * <p>Immutable; safe to share between threads.
 */
public class InvalidCancellationPropertyException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String property;

    private final transient @Nullable Object value;

    private final String allowed;

    /**
     * Creates the exception.
     *
     * @param property the property's canonical name, e.g. {@code cancellation.cleanup.threads}
     * @param value the bound value that was rejected, {@code null} for a missing one
     * @param allowed what the property accepts, e.g. {@code 1 to 1000}
     * @param message the full message, naming the property and the value
     */
    public InvalidCancellationPropertyException(String property, @Nullable Object value, String allowed,
            String message) {
        super(message);
        this.property = property;
        this.value = value;
        this.allowed = allowed;
    }

    /** The property's canonical name, e.g. {@code cancellation.cleanup.threads}. */
    public String property() {
        return property;
    }

    /** The bound value that was rejected (a {@code Duration}, an {@code Integer}, ...); {@code null} if missing. */
    public @Nullable Object value() {
        return value;
    }

    /** What the property accepts, in words, e.g. {@code 1 to 1000}. */
    public String allowed() {
        return allowed;
    }
}
