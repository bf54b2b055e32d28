package dev.cancellation.messaging;

import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.spring.CancellationTokenAccessor;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The Reactor half of {@link AsyncListenerResultInterceptor}, in a class of its own so that nothing loads Reactor
 * types when Reactor is absent.
 *
 * <p>Thread-safety: stateless.
 */
final class ReactorResults {

    private ReactorResults() {
    }

    static boolean isMono(@Nullable Object result) {
        return result instanceof Mono<?>;
    }

    /**
     * {@code result} (a {@code Mono}) bound to the invocation: the token in its context, disposed with a
     * {@link TaskCancelledException} when the token is cancelled, and the invocation ended with its outcome.
     */
    static Object follow(ListenerInvocation invocation, Object result) {
        CancellationToken token = invocation.token();
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        Mono<Object> cancelled = Mono.fromCompletionStage(token.whenCancelled())
                .flatMap(reason -> Mono.error(invocation.cancelFailure(
                        TaskCancelledException.of(reason, invocation.task().name()))));
        @SuppressWarnings("unchecked")
        Mono<Object> mono = (Mono<Object>) result;
        Mono<Object> bound = Mono.firstWithSignal(mono, cancelled)
                .contextWrite(context -> context.put(CancellationTokenAccessor.KEY, token))
                .doOnError(outcome::completeExceptionally)
                .doFinally(signal -> outcome.complete(null));
        invocation.endsWith(outcome);
        return bound;
    }
}
