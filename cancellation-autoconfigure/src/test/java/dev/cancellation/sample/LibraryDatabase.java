package dev.cancellation.sample;

import dev.cancellation.jdbc.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The library's test database: a database of its own, created on first use, on the test JVM's one PostgreSQL
 * server (where the library's authors would start a container of their own). Thread-safe: creating a database
 * is idempotent and serialised by the class's monitor.
 */
final class LibraryDatabase {

    private LibraryDatabase() {
    }

    /** Points the application at database {@code name}, which the schema is generated into at startup. */
    static void register(DynamicPropertyRegistry registry, String name) {
        registry.add("spring.datasource.url", () -> url(name));
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "");
        registry.add("spring.jpa.hibernate.ddl-auto", () -> "create");
    }

    static synchronized String url(String name) {
        try (Connection connection = EmbeddedPostgres.server().getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            try (ResultSet exists = statement.executeQuery(
                    "select 1 from pg_database where datname = '" + name + "'")) {
                if (!exists.next()) {
                    statement.execute("create database " + name);
                }
            }
        } catch (SQLException ex) {
            throw new IllegalStateException("Could not create the test database " + name, ex);
        }
        return EmbeddedPostgres.server().getJdbcUrl("postgres", name);
    }
}
