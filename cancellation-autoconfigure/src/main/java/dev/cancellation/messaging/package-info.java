/**
 * What every message listener edge shares: {@link MessageDeadlines} (the absolute deadline a message carries in a
 * header, written by senders under a token and turned into a listener invocation's budget, or an expiry),
 * {@link ListenerInvocations} (the invocations in flight, each a registered task, cancelled by stop, rebalance or
 * an operator, and drained at shutdown) and {@link AsyncListenerResultPostProcessor} (an asynchronous listener's
 * invocation ends with its {@code CompletableFuture} or {@code Mono}, which a cancel ends). No messaging library is
 * needed here: the {@code kafka}, {@code amqp} and {@code jms} edges adapt their framework's headers and containers
 * to it.
 */
@NullMarked
package dev.cancellation.messaging;

import org.jspecify.annotations.NullMarked;
