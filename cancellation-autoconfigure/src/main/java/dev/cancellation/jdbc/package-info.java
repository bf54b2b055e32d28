/**
 * The JDBC edge: statements executed while a token is current are cancelled on the server when it is cancelled,
 * get a query timeout from its budget, and are refused once it is spent.
 *
 * <p>API: {@link StatementCanceller}, which wraps connections, and {@link CancellableDataSourcePostProcessor}, which
 * applies it to every {@code DataSource} bean. Internal: the wrappers of the JDBC interfaces ({@code Connection},
 * {@code Statement}s, {@code ResultSet}), plain delegating classes (no reflection per call) whose small
 * {@code Cancellable*} subclasses hold the behaviour, and the state of one execution.
 *
 * <p>It plugs into JDBC by wrapping what {@code DataSource.getConnection()} returns, and into Spring through an
 * advising bean post-processor. Depends on the core only, never on another edge. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationJdbcAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.jdbc;

import org.jspecify.annotations.NullMarked;
