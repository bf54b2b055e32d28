/** The inbound HTTP edge on Spring WebFlux: web filter and exception handler. */
package dev.cancellation.web.reactive;
