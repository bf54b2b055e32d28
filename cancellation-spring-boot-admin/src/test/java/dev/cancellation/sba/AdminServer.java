package dev.cancellation.sba;

import de.codecentric.boot.admin.server.config.EnableAdminServer;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;

/** Test support: a plain Spring Boot Admin server, as an operator runs it, with this module on its class path. */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableAdminServer
class AdminServer {
}
