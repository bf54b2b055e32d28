package dev.cancellation.demo.orders;

import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Session;
import org.jspecify.annotations.Nullable;
import org.springframework.jms.config.DefaultJmsListenerContainerFactory;
import org.springframework.jms.listener.DefaultMessageListenerContainer;

/**
 * Boot's kind of listener container factory, whose containers remember the message they are handing to their
 * listener, on the consumer thread, until the listener returns. A container's {@code ErrorHandler} gets only the
 * exception; {@link DeadLetterForwarder}, called on the same thread while the message is in hand, reads it here to
 * copy it to the dead-letter queue. (A plain {@code DefaultJmsListenerContainerFactory} works with the starter as
 * well: this is for the dead-letter copy only.)
 *
 * <p>Thread-safety: the message is held per consumer thread.
 */
public class InHandMessageContainerFactory extends DefaultJmsListenerContainerFactory {

    private static final ThreadLocal<Message> IN_HAND = new ThreadLocal<>();

    /** The message the calling consumer thread is handing to its listener, if any. */
    public static @Nullable Message inHand() {
        return IN_HAND.get();
    }

    @Override
    protected DefaultMessageListenerContainer createContainerInstance() {
        return new InHandMessageContainer();
    }

    /** Spring's default container, holding the message while its listener (and the error handler) runs. */
    static class InHandMessageContainer extends DefaultMessageListenerContainer {

        @Override
        protected void invokeListener(Session session, Message message) throws JMSException {
            Message previous = IN_HAND.get();
            IN_HAND.set(message);
            try {
                super.invokeListener(session, message);
            } finally {
                if (previous == null) {
                    IN_HAND.remove();
                } else {
                    IN_HAND.set(previous);
                }
            }
        }
    }
}
