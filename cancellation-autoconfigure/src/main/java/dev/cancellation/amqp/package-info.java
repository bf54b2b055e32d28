/**
 * The RabbitMQ edge (Spring AMQP): every listener invocation of a container made by a
 * {@code RabbitListenerContainerFactory} runs as a registered task whose token is current while the listener runs
 * ({@link RabbitListenerCancellation}, installed by {@link RabbitListenerContainerFactoryPostProcessor} as the
 * outermost advice of each container); the deadline of a message sent under a token rides in a header
 * ({@link DeadlineMessagePostProcessor}) and bounds, or refuses, the invocation that receives it; a container stop
 * gives the invocations in flight the drain period, then cancels them with {@code SHUTDOWN} and has their messages
 * requeued.
 */
@NullMarked
package dev.cancellation.amqp;

import org.jspecify.annotations.NullMarked;
