package dev.cancellation.spring;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import io.micrometer.context.ThreadLocalAccessor;
import org.jspecify.annotations.Nullable;

/**
 * Makes {@link CancellationToken#current()} a Micrometer context-propagation value, so that Spring's
 * {@code ContextPropagatingTaskDecorator}, Reactor's automatic context propagation and anything else built on
 * {@code io.micrometer.context} carry the current token across threads.
 *
 * <p>Registered with {@code ContextRegistry.getInstance()} through {@code META-INF/services} (and by the
 * auto-configuration). The key is {@link #KEY}, also the key of the token in a Reactor {@code Context}.
 *
 * <p>Thread-safety: stateless; acts on the calling thread's binding only.
 */
public final class CancellationTokenAccessor implements ThreadLocalAccessor<CancellationToken> {

    /** The context key of the current token. */
    public static final String KEY = "dev.cancellation.token";

    @Override
    public Object key() {
        return KEY;
    }

    @Override
    public @Nullable CancellationToken getValue() {
        return Cancellation.boundTokenOrNull();
    }

    @Override
    public void setValue(CancellationToken value) {
        Cancellation.restore(value);
    }

    @Override
    public void setValue() {
        Cancellation.restore(null);
    }

    @Override
    public void restore(CancellationToken previousValue) {
        Cancellation.restore(previousValue);
    }

    @Override
    public void restore() {
        Cancellation.restore(null);
    }
}
