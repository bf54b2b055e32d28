package dev.cancellation.spring;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/** Reactor type checks, in a class of their own so that nothing loads Reactor unless it is present. */
final class ReactorTypes {

    private ReactorTypes() {
    }

    static boolean isPublisher(Class<?> type) {
        return Publisher.class.isAssignableFrom(type);
    }

    static boolean isMono(Class<?> type) {
        return Mono.class.isAssignableFrom(type);
    }
}
