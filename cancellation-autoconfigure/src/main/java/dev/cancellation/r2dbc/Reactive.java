package dev.cancellation.r2dbc;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Gives a guarded publisher the kind the wrapped method declares: driver interfaces narrow R2DBC's
 * {@code Publisher} return types to {@code Mono} or {@code Flux}, and a proxy must answer what the caller's
 * signature expects.
 *
 * <p>Thread-safety: stateless.
 */
final class Reactive {

    private Reactive() {
    }

    /** {@code publisher} as a {@code Mono} where {@code declared} (or the driver's own result) is one. */
    static Object adapt(Publisher<?> publisher, Class<?> declared) {
        if (declared == Mono.class) {
            return Mono.from(publisher);
        }
        return (publisher instanceof Flux<?>) ? publisher : Flux.from(publisher);
    }

    /**
     * {@code guarded} in the kind of {@code original}, what the driver answered. A {@code Mono} of the driver's
     * {@code Mono} is taken as it is ({@code fromDirect}: it ends by itself after its value, so the guarded pieces
     * see it complete rather than cancelled after the first element).
     */
    static Object like(Publisher<?> original, Publisher<?> guarded, Class<?> declared) {
        if (original instanceof Mono<?>) {
            return Mono.fromDirect(guarded);
        }
        if (declared == Mono.class) {
            return Mono.from(guarded);
        }
        return (guarded instanceof Flux<?>) ? guarded : Flux.from(guarded);
    }
}
