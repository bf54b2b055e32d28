package dev.cancellation.spring;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationJdbcAutoConfiguration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;

/**
 * A real PostgreSQL server for the repository tests (Zonky's binaries on a random loopback port, one per test JVM,
 * as the jdbc package's tests have it: that support is package-private there), and the real auto-configurations
 * of a JDBC application with cancellation, the jdbc edge included (it cancels statements on the server).
 */
final class InterfaceBeanTestSupport {

    private static io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;

    private InterfaceBeanTestSupport() {
    }

    static synchronized io.zonky.test.db.postgres.embedded.EmbeddedPostgres server() {
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

    /** Boot's JDBC auto-configurations and ours, on the embedded server, with a pool of two connections. */
    static ApplicationContextRunner postgres() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DataSourceTransactionManagerAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                        TransactionAutoConfiguration.class, CancellationAutoConfiguration.class,
                        CancellableAnnotationAutoConfiguration.class, CancellationJdbcAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=" + server().getJdbcUrl("postgres", "postgres"),
                        "spring.datasource.username=postgres", "spring.datasource.password=",
                        "spring.datasource.hikari.maximum-pool-size=2");
    }

    /** The queries running on the server (state {@code active}) whose text contains {@code marker}. */
    static List<String> activeQueries(String marker) {
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
}
