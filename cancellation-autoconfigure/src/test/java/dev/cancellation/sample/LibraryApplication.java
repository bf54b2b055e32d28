package dev.cancellation.sample;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small lending-library service that the starter was not written for, standing in for an application that
 * already exists when someone adds the starter: JPA entities ({@link Author}, {@link Book}), a Spring Data JPA
 * repository, a {@code @Transactional} service, a REST controller with its own error handling, and its own tests
 * ({@link LibraryApplicationTests}). Nothing in this package names the starter; the starter's auto-configuration
 * applies because it is on the test classpath, as it would after adding the dependency.
 *
 * <p>The library has no Spring Security; the starter's test classpath has, so its auto-configuration is excluded
 * here, where the library's own build would simply not carry it.
 */
@SpringBootApplication(excludeName = {
    "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration"})
public class LibraryApplication {
}
