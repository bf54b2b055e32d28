/**
 * The JMS edge: every message a Spring JMS listener container hands to its listener ({@code @JmsListener} methods,
 * listener beans) runs as a registered task whose token is current while the listener runs, bounded by the
 * deadline the message carries (written by {@code JmsTemplate} for messages sent under a token) and by the
 * listener timeout; a stop of the listener containers drains the invocations in flight, then cancels them so
 * that their transacted sessions roll back and the broker redelivers their messages. Built on the containers' own
 * extension points (the listener container factory, the message listener), never on copies of them.
 */
@NullMarked
package dev.cancellation.jms;

import org.jspecify.annotations.NullMarked;
