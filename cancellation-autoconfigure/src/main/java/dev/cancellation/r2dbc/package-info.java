/**
 * The R2DBC edge: statements executed while a token is current in the Reactor context are refused once it is
 * cancelled, and are cancelled on the server (PostgreSQL's cancel request) when it is cancelled or their
 * subscription is disposed; a cancel still on its way never reaches another statement on the connection.
 *
 * <p>API: {@link R2dbcStatementCanceller}, which wraps connections, and
 * {@link CancellableConnectionFactoryPostProcessor}, which applies it to every {@code ConnectionFactory} bean.
 * Internal: the JDK dynamic proxies of the R2DBC interfaces ({@code Connection}, {@code Statement} and
 * {@code Batch}, {@code Result}), the state of one execution and the drivers' cancel requests.
 *
 * <p>It plugs into R2DBC by wrapping what {@code ConnectionFactory.create()} emits, and into Spring through an
 * advising bean post-processor. Depends on the core only, never on another edge. Wired by
 * {@code dev.cancellation.autoconfigure.CancellationR2dbcAutoConfiguration}.
 */
@NullMarked
package dev.cancellation.r2dbc;

import org.jspecify.annotations.NullMarked;
