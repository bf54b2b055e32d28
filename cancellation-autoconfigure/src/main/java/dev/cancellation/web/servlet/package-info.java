/** The inbound HTTP edge on Spring MVC (Servlet): filter, exception resolver, interceptors. */
package dev.cancellation.web.servlet;
