package dev.cancellation.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Whether a statement executed under a token with a deadline also gets a query timeout from the remaining budget:
 * the backstop for a cancel that does not land (not sent because the cancel queue was full or the canceller
 * closed, or failed in the driver). The cancel is what stops the statement on time; the timeout only bounds it
 * when the cancel is missing.
 *
 * <p>Thread-safety: an immutable enum.
 */
public enum QueryTimeoutBackstop {

    /**
     * Per driver: every driver gets the backstop except H2 and PostgreSQL, where it costs every statement more
     * than the cover it adds. H2 runs {@code setQueryTimeout} as a {@code SET QUERY_TIMEOUT} command (about 16
     * times the cost of a small statement, twice per statement: set and restore), while its cancel is a flag the
     * running command checks at the same place as the timeout, set in-process without a round trip that could
     * fail. PgJDBC arms a task on its shared {@code java.util.Timer} for every statement with a timeout (a wake of
     * the timer thread per statement, several microseconds of CPU) whose only action is the cancel request this
     * edge already sends; it would cover only a cancel this edge does not send (a full cancel queue, a closed
     * canceller), which the {@code rejectedCancels} count shows. The other drivers keep it: a driver that is not
     * known to stop a statement by the same means gets the safe choice.
     */
    AUTO,

    /** Every driver gets the backstop ({@code true} binds to this: the behaviour before {@code auto}). */
    ON,

    /** No driver gets it: only the cancel stops statements ({@code false} binds to this). */
    OFF;

    /** The name {@link DatabaseMetaData#getDriverName()} gives for H2's driver, embedded or remote. */
    static final String H2_DRIVER_NAME = "H2 JDBC Driver";

    /** The name {@link DatabaseMetaData#getDriverName()} gives for PgJDBC. */
    static final String POSTGRESQL_DRIVER_NAME = "PostgreSQL JDBC Driver";

    /**
     * Whether {@link #AUTO} sets the backstop on {@code connection}'s driver. A driver that cannot tell its name
     * keeps the backstop: skipping it is an optimisation, keeping it is always safe.
     */
    static boolean autoAppliesTo(Connection connection) {
        try {
            String driver = connection.getMetaData().getDriverName();
            return driver == null || !(driver.toLowerCase(Locale.ROOT).startsWith("h2 ")
                    || driver.equals(POSTGRESQL_DRIVER_NAME));
        } catch (SQLException | RuntimeException ex) {
            return true;
        }
    }
}
