package dev.cancellation.amqp;

import dev.cancellation.CancellationToken;
import dev.cancellation.messaging.MessageDeadlines;
import java.util.Objects;
import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessagePostProcessor;

/**
 * Writes the deadline of the token current on the sending thread into the message's deadline header (epoch
 * milliseconds, see {@link MessageDeadlines}), so that the listener receiving it stops when the sender gives up, or
 * does not start at all. A message sent with no token, or under a token without a deadline, is left as it is; a
 * header the application set itself is kept.
 *
 * <p>Added to a {@code RabbitTemplate} as a before-publish post-processor (Boot's {@code RabbitTemplateCustomizer}),
 * it also marks the requests of {@code convertSendAndReceive}.
 *
 * <p>Thread-safety: stateless; may be called from any thread, concurrently.
 */
public final class DeadlineMessagePostProcessor implements MessagePostProcessor {

    private final MessageDeadlines deadlines;

    public DeadlineMessagePostProcessor(MessageDeadlines deadlines) {
        this.deadlines = Objects.requireNonNull(deadlines, "deadlines");
    }

    @Override
    public Message postProcessMessage(Message message) throws AmqpException {
        CancellationToken token = CancellationToken.current();
        String deadline = deadlines.encode(token);
        if (deadline != null && message.getMessageProperties().getHeader(deadlines.header()) == null) {
            message.getMessageProperties().setHeader(deadlines.header(), deadline);
        }
        return message;
    }
}
