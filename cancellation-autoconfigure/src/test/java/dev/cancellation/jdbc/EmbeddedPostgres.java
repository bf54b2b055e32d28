package dev.cancellation.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One real PostgreSQL server per test JVM (Zonky's binaries, started on a random loopback port on first use,
 * stopped at JVM exit), and queries of its {@code pg_stat_activity} made on a connection of its own. Shared by
 * every test package that needs PostgreSQL, so that a test JVM starts one server.
 */
public final class EmbeddedPostgres {

    private static io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;

    private EmbeddedPostgres() {
    }

    public static synchronized io.zonky.test.db.postgres.embedded.EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
            } catch (IOException ex) {
                throw new UncheckedIOException("Could not start the embedded PostgreSQL server", ex);
            }
            io.zonky.test.db.postgres.embedded.EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException ex) {
                    // the JVM is exiting
                }
            }));
        }
        return server;
    }

    public static String url() {
        return server().getJdbcUrl("postgres", "postgres");
    }

    /** The Spring properties of a data source on the server, with a pool of one connection. */
    static String[] dataSourceProperties() {
        return new String[] {"spring.datasource.url=" + url(), "spring.datasource.username=postgres",
                "spring.datasource.password=", "spring.datasource.hikari.maximum-pool-size=1"};
    }

    /** The queries currently running (state {@code active}) whose text contains {@code marker}. */
    public static List<String> activeQueries(String marker) {
        List<String> queries = new ArrayList<>();
        try (Connection connection = server().getPostgresDatabase().getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "select query from pg_stat_activity where state = 'active' and pid <> pg_backend_pid()"
                                + " and query like ?")) {
            statement.setString(1, "%" + marker + "%");
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    queries.add(rows.getString(1));
                }
            }
        } catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
        return queries;
    }

    /** The last query text of the backend with {@code pid}. */
    static String lastQuery(int pid) {
        try (Connection connection = server().getPostgresDatabase().getConnection();
                PreparedStatement statement = connection.prepareStatement(
                        "select query from pg_stat_activity where pid = ?")) {
            statement.setInt(1, pid);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        } catch (SQLException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
