/** The inbound HTTP edge: request tokens, the caller's deadline header, disconnects, problem details, request drain. */
package dev.cancellation.web;
