package dev.cancellation.jdbc;

import java.sql.CallableStatement;

/**
 * The wrapper of a {@link CallableStatement}: a {@link CancellablePreparedStatement}, whose executions follow the
 * current token; the methods a callable statement adds are plain delegation ({@link DelegatingCallableStatement}).
 *
 * <p>Thread-safety: as the wrapped statement (one thread at a time).
 */
final class CancellableCallableStatement extends DelegatingCallableStatement {

    CancellableCallableStatement(CallableStatement delegate, CancellableConnection connection) {
        super(delegate, connection);
    }
}
