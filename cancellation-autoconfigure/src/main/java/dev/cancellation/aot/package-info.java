/**
 * Ahead-of-time processing support: the runtime hints for what the starter reflects on, so that an application
 * processed with {@code spring-boot:process-aot} (and a native image built from it) finds the {@code @OnCancel}
 * methods, the endpoint's response types and the context-propagation accessor.
 */
package dev.cancellation.aot;
