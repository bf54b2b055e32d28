/**
 * Ahead-of-time processing support: the runtime hints for what the starter reflects on, so that an application
 * processed with {@code spring-boot:process-aot} (and a native image built from it) finds the {@code @OnCancel}
 * methods and the context-propagation accessor. Both are registered through {@code META-INF/spring/aot.factories};
 * the endpoint's response types get theirs from {@code dev.cancellation.actuate}.
 */
package dev.cancellation.aot;
