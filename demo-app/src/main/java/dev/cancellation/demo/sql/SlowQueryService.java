package dev.cancellation.demo.sql;

import dev.cancellation.annotation.Cancellable;
import java.sql.DatabaseMetaData;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.JdbcUtils;
import org.springframework.stereotype.Service;

/**
 * Runs a query that takes {@code seconds} on the database, within a budget. When the budget is spent the
 * statement is cancelled on the server (a log line of {@code StatementCanceller} says so) and the caller gets a
 * {@code TaskTimeoutException}, answered with {@code 504}.
 *
 * <p>On the embedded H2 (the default) the slow query sleeps 1 ms per row of a generated range, through a
 * {@code SLEEP} alias for {@code Thread.sleep}; H2 checks for a cancel between rows. On PostgreSQL it is
 * {@code pg_sleep}.
 */
@Service
public class SlowQueryService {

    private final JdbcTemplate jdbc;
    private final String database;

    public SlowQueryService(JdbcTemplate jdbc) throws Exception {
        this.jdbc = jdbc;
        this.database = JdbcUtils.extractDatabaseMetaData(jdbc.getDataSource(),
                DatabaseMetaData::getDatabaseProductName);
        if (isH2()) {
            jdbc.execute("create alias if not exists SLEEP for 'java.lang.Thread.sleep(long)'");
        }
    }

    /** The database the demo talks to, as its driver names it ({@code H2}, {@code PostgreSQL}). */
    public String database() {
        return database;
    }

    /** Runs the slow query; returns the number of rows the query counted (1 on PostgreSQL). */
    @Cancellable(name = "slow-query", timeout = "${demo.sql.timeout:2s}")
    public long run(int seconds) {
        if (isH2()) {
            return jdbc.queryForObject("select count(*) from system_range(1, ?) where SLEEP(1) is null",
                    Long.class, seconds * 1000L);
        }
        return jdbc.queryForObject("select count(*) from pg_sleep(?)", Long.class, seconds);
    }

    private boolean isH2() {
        return "H2".equals(database);
    }
}
