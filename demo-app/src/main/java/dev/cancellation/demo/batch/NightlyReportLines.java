package dev.cancellation.demo.batch;

import dev.cancellation.demo.batch.NightlyReportJob.ReportLine;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/**
 * The table the nightly report writes, {@code nightly_report_line}: one row per store and report run. It has no
 * unique key on purpose, so that a duplicated item would show as a second row instead of an error.
 *
 * <p>Thread-safety: stateless but for the thread-safe {@link JdbcTemplate}.
 */
@Repository
class NightlyReportLines {

    private final JdbcTemplate jdbc;

    NightlyReportLines(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        jdbc.execute("create table if not exists nightly_report_line"
                + " (run varchar(40) not null, store int not null, total bigint not null)");
    }

    /** Inserts the lines, in the caller's transaction (the chunk's, when called by the writer). */
    void insert(List<ReportLine> lines) {
        jdbc.batchUpdate("insert into nightly_report_line (run, store, total) values (?, ?, ?)", lines, lines.size(),
                (statement, line) -> {
                    statement.setString(1, line.run());
                    statement.setInt(2, line.store());
                    statement.setLong(3, line.total());
                });
    }

    /** The rows of a report run, and how many distinct stores they name: equal when no store was written twice. */
    Counts counts(String run) {
        return jdbc.queryForObject("select count(*), count(distinct store) from nightly_report_line where run = ?",
                (rs, row) -> new Counts(rs.getLong(1), rs.getLong(2)), run);
    }

    /**
     * @param rows rows written for the run
     * @param distinctStores distinct stores among them
     */
    record Counts(long rows, long distinctStores) {
    }
}
