/**
 * The Spring Boot auto-configuration of the starter: one {@code @AutoConfiguration} per concern (the task registry,
 * {@code @Cancellable}, shutdown, context propagation, the endpoint, metrics and observations, and the HTTP, JDBC and
 * fleet edges), listed in {@code META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports},
 * each guarded by the classes, beans and {@code cancellation.*} properties it needs.
 *
 * <p>API: the {@code @ConfigurationProperties} classes ({@link CancellationProperties} and the per-edge ones), whose
 * setters reject invalid values with an {@link InvalidCancellationPropertyException} that
 * {@link CancellationPropertiesFailureAnalyzer} (registered in {@code META-INF/spring.factories}) reports at startup.
 * The auto-configuration classes are public for Boot's sake, not to be used directly.
 *
 * <p>The top of the module: it turns properties into the settings of the packages below and wires them; none of them
 * depends on it.
 */
@NullMarked
package dev.cancellation.autoconfigure;

import org.jspecify.annotations.NullMarked;
