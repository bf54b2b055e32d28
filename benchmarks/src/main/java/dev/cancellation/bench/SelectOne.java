package dev.cancellation.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** The statement of the JDBC rows, as {@code JdbcTemplate} runs one: prepare, bind, execute, read the row, close. */
final class SelectOne {

    private SelectOne() {
    }

    /** Runs {@code sql} (one {@code int} parameter, one row of one {@code int}) with {@code value}; returns the row. */
    static int run(Connection connection, String sql, int value) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setInt(1, value);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }
}
