package dev.cancellation.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * A PostgreSQL server for {@code run-load.sh}: Zonky's embedded binaries (the same as the tests and the JDBC row
 * use) started on a free loopback port, which is written to {@code PORT_FILE} once the server accepts
 * connections (database {@code postgres}, user {@code postgres}, no password). It runs until this JVM is ended
 * (SIGTERM), and then stops the server and removes its data directory.
 *
 * <p>Usage: {@code PostgresServer PORT_FILE}. One instance per run; the main thread only waits.
 */
public final class PostgresServer {

    private PostgresServer() {
    }

    public static void main(String[] args) throws Exception {
        Path portFile = Path.of(args[0]);
        EmbeddedPostgres server = EmbeddedPostgres.builder().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception ex) {
                System.err.println("Could not stop the embedded PostgreSQL server: " + ex);
            }
        }, "postgres-stopper"));
        // Written last and whole (rename), so that the script never reads a half-written port.
        Path written = Files.writeString(portFile.resolveSibling(portFile.getFileName() + ".tmp"),
                Integer.toString(server.getPort()));
        Files.move(written, portFile);
        new CountDownLatch(1).await(); // until SIGTERM
    }
}
