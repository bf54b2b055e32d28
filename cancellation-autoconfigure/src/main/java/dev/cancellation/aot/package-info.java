/**
 * Ahead-of-time processing support: the runtime hints for what the starter reflects on, so that an application
 * processed with {@code spring-boot:process-aot} (and a native image built from it) finds the {@code @OnCancel}
 * methods of its beans ({@link CancellableBeanRegistrationAotProcessor}) and the context-propagation accessor
 * ({@link CancellationRuntimeHints}); the endpoint's response types get theirs from {@code dev.cancellation.actuate}.
 *
 * <p>Nothing here is called by applications: Spring's AOT engine finds both types through
 * {@code META-INF/spring/aot.factories}, its extension point for {@code BeanRegistrationAotProcessor}s and
 * {@code RuntimeHintsRegistrar}s.
 */
@NullMarked
package dev.cancellation.aot;

import org.jspecify.annotations.NullMarked;
