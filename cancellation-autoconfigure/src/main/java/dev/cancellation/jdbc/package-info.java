/**
 * The JDBC edge: statements executed while a token is current are cancelled on the server when it is cancelled,
 * get a query timeout from its budget, and are refused once it is spent.
 *
 * <p>{@link dev.cancellation.jdbc.StatementCanceller} wraps connections (JDK dynamic proxies of the JDBC
 * interfaces); {@link dev.cancellation.jdbc.CancellableDataSourcePostProcessor} applies it to every
 * {@code DataSource} bean. Depends on the core only, never on another edge.
 */
package dev.cancellation.jdbc;
