/**
 * What every message listener edge shares: {@link MessageDeadlines} (the absolute deadline a message carries in a
 * header, written by senders under a token and turned into a listener invocation's budget, or an expiry) and
 * {@link ListenerInvocations} (the invocations in flight, each a registered task, cancelled by stop, rebalance or
 * an operator, and drained at shutdown). No messaging library is needed here: the {@code kafka}, {@code amqp} and
 * {@code jms} edges adapt their framework's headers and containers to it.
 */
@NullMarked
package dev.cancellation.messaging;

import org.jspecify.annotations.NullMarked;
