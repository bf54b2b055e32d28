package dev.cancellation.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Wrapped;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Mono;

/**
 * How a statement is cancelled on the server, per driver, found by unwrapping the connection ({@link Wrapped}: the
 * pool's connection, Spring's proxies) down to the driver's own.
 *
 * <ul>
 *   <li>r2dbc-postgresql: {@code PostgresqlConnection.cancelRequest()}, PostgreSQL's cancel request on a new
 *       connection, which stops whatever the session runs when it arrives.</li>
 *   <li>every other driver: nothing beyond the cancel of the subscription (the driver's own reaction to it, which
 *       for most is to drain the rest of the result and let the statement run on in the server).</li>
 * </ul>
 *
 * <p>Thread-safety: stateless.
 */
final class ServerCancel {

    private static final boolean POSTGRES = ClassUtils.isPresent("io.r2dbc.postgresql.api.PostgresqlConnection",
            ServerCancel.class.getClassLoader());

    /** Wrappers deeper than this are not unwrapped further: a cycle or a pathological chain. */
    private static final int MAX_DEPTH = 16;

    private ServerCancel() {
    }

    /** The cancel request for what {@code connection} runs, or {@code null} if its driver has none. */
    static @Nullable Mono<Void> requestFor(Connection connection) {
        if (!POSTGRES) {
            return null;
        }
        Object current = connection;
        for (int depth = 0; depth < MAX_DEPTH && current != null; depth++) {
            if (Postgres.isPostgres(current)) {
                return Postgres.cancelRequest(current);
            }
            current = (current instanceof Wrapped<?> wrapped) ? wrapped.unwrap() : null;
        }
        return null;
    }

    /** The driver's own connection under {@code connection}: the innermost object of its {@link Wrapped} chain. */
    static Connection physical(Connection connection) {
        Connection current = connection;
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            if (!(current instanceof Wrapped<?> wrapped) || !(wrapped.unwrap() instanceof Connection inner)
                    || inner == current) {
                return current;
            }
            current = inner;
        }
        return current;
    }

    /** Kept apart so that r2dbc-postgresql's types are loaded only when it is present. */
    private static final class Postgres {

        static boolean isPostgres(Object connection) {
            return connection instanceof io.r2dbc.postgresql.api.PostgresqlConnection;
        }

        static Mono<Void> cancelRequest(Object connection) {
            return ((io.r2dbc.postgresql.api.PostgresqlConnection) connection).cancelRequest();
        }
    }
}
