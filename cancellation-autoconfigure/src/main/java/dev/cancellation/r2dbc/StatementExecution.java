package dev.cancellation.r2dbc;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import io.r2dbc.spi.R2dbcException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * One execution of a statement under a live token: its publishers (the driver's results, then the rows or counts
 * of each result) are guarded pieces, and the execution decides when the server gets a cancel request.
 *
 * <p>Each piece registers on the token while subscribed: the token's cancel ends it with a
 * {@link TaskCancelledException} and cancels its subscription to the driver. The driver's cancel request is sent,
 * once per execution, when a piece's subscription is cancelled while the statement may still run on the server
 * and either the token is cancelled, or the subscription is disposed before the piece emitted anything. A
 * subscriber that took what it wanted ({@code Mono.from} of the results, of a count, of the first row) disposes
 * its subscription with no reason to stop the statement: the driver drains the rest.
 *
 * <p>The statement may still run until the results publisher has ended and every result it emitted has been read
 * to its end (or failed). The end of the results publisher alone says nothing: a driver may emit a result that
 * has not reached the server yet and complete at once (r2dbc-postgresql does so for a statement with bound
 * parameters, which runs on the extended query protocol: the query is sent when the result's rows are
 * subscribed to, which is where Spring Data R2DBC's repository queries run).
 *
 * <p>Thread-safety: pieces may be subscribed and end on any threads; the state is volatile flags and a CAS for the
 * cancel request, which is sent once.
 */
final class StatementExecution {

    private final CancellationToken token;
    private final ConnectionHandler connection;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    /** Whether the driver emitted a result: cancelling the results publisher after it no longer stops the query. */
    private volatile boolean resultEmitted;
    /** Whether the results publisher ended normally (completed, or failed: then the statement failed). */
    private volatile boolean resultsEnded;
    /** Whether the results publisher failed: the statement failed, there is nothing left to cancel. */
    private volatile boolean resultsFailed;
    /** Results emitted whose rows or count have not ended normally yet: the server may still be working on them. */
    private final AtomicInteger unread = new AtomicInteger();

    StatementExecution(CancellationToken token, ConnectionHandler connection) {
        this.token = token;
        this.connection = connection;
    }

    /** {@code source} as a piece of this execution: a result's rows if {@code rows}, else the results publisher. */
    <T> Flux<T> guard(Publisher<T> source, boolean rows) {
        return Flux.defer(() -> {
            CancellationReason refused = token.reason().orElse(null);
            if (refused != null) {
                return Flux.error(TaskCancelledException.of(refused, "SQL statement refused"));
            }
            Piece piece = new Piece();
            Mono<CancellationReason> cancelled = Mono.create(sink -> {
                Registration registration = token.onCancel(sink::success);
                sink.onDispose(registration::close);
            });
            return Flux.from(source)
                    .doOnNext(item -> {
                        piece.emitted = true;
                        if (!rows) {
                            unread.incrementAndGet();
                            resultEmitted = true;
                        }
                    })
                    .doFinally(signal -> ended(signal, rows, piece))
                    .onErrorMap(this::failureOf)
                    .takeUntilOther(cancelled.doOnNext(reason -> piece.cutBy = reason))
                    .concatWith(Mono.defer(() -> {
                        CancellationReason reason = piece.cutBy;
                        return (reason != null) ? Mono.error(TaskCancelledException.of(reason, "SQL statement"))
                                : Mono.empty();
                    }));
        });
    }

    private void ended(SignalType signal, boolean rows, Piece piece) {
        if (signal != SignalType.CANCEL) {
            if (rows) {
                unread.decrementAndGet();
            } else {
                resultsFailed = (signal == SignalType.ON_ERROR);
                resultsEnded = true;
            }
            return;
        }
        if (answered()) {
            return; // the server has answered: nothing to stop
        }
        if (!token.isCancelled() && (piece.emitted || (!rows && resultEmitted))) {
            // a subscriber that took what it wanted (Mono.from of a count, of the first result or row) disposes
            // its subscription with no reason to stop the statement; the driver drains the rest
            return;
        }
        if (!cancelRequested.compareAndSet(false, true)) {
            return;
        }
        Mono<Void> request = ServerCancel.requestFor(connection.delegate);
        if (request != null) {
            connection.sendCancel(request, this);
        }
    }

    /**
     * Whether the server has answered the whole statement: the results publisher failed, or it completed and
     * every result it emitted was read to its end.
     */
    private boolean answered() {
        return resultsFailed || (resultsEnded && unread.get() <= 0);
    }

    /** The driver's failure, as the task's cancellation when a cancel request of ours caused it. */
    private Throwable failureOf(Throwable failure) {
        CancellationReason reason = token.reason().orElse(null);
        if (reason != null && cancelRequested.get() && failure instanceof R2dbcException) {
            TaskCancelledException cancelled = TaskCancelledException.of(reason, "SQL statement");
            cancelled.initCause(failure);
            return cancelled;
        }
        return failure;
    }

    /** The cancel request has been sent; {@code failure} is what it signalled, if it failed. */
    void cancelSent(@Nullable Throwable failure) {
        connection.canceller().cancelled(token.reason().orElse(null), System.nanoTime() - startNanos, failure);
    }

    /** One subscription to a publisher of the execution. */
    private static final class Piece {
        /** Whether it emitted anything (a result, a row, a count). */
        volatile boolean emitted;
        /** Set by the token's callback when the token ended it. */
        volatile @Nullable CancellationReason cutBy;
    }
}
