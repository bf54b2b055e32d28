/**
 * The annotations that turn methods into cancellable tasks, API both:
 * <ul>
 *   <li>{@link dev.cancellation.annotation.Cancellable}: runs a method as a registered task with a token of its
 *       own, an optional timeout and interrupt grace;</li>
 *   <li>{@link dev.cancellation.annotation.OnCancel}: marks the cleanup method run after such a task was
 *       cancelled.</li>
 * </ul>
 * Plain Java annotations with no behaviour of their own: the Spring integration reads them. Every type in this
 * package is non-null unless annotated {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cancellation.annotation;

import org.jspecify.annotations.NullMarked;
