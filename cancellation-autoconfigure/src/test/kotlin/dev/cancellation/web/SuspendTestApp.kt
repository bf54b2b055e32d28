package dev.cancellation.web

import dev.cancellation.CancellationToken
import dev.cancellation.annotation.Cancellable
import dev.cancellation.coroutines.currentToken
import dev.cancellation.coroutines.withToken
import java.util.concurrent.LinkedBlockingQueue
import kotlin.coroutines.cancellation.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.withContext
import org.springframework.boot.SpringBootConfiguration
import org.springframework.boot.autoconfigure.EnableAutoConfiguration
import org.springframework.context.annotation.Import
import org.springframework.stereotype.Service
import org.springframework.web.bind.annotation.GetMapping
import org.springframework.web.bind.annotation.RequestParam
import org.springframework.web.bind.annotation.RestController

/**
 * An application whose handlers are Kotlin `suspend` functions, run on Spring MVC (Tomcat) or WebFlux (Reactor
 * Netty) as the test chooses.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration(excludeName = [
    "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.actuate.web.reactive.ReactiveManagementWebSecurityAutoConfiguration"])
@Import(SuspendTestApp.Endpoints::class, SuspendTestApp.Work::class)
class SuspendTestApp {

    /** Open: `@Cancellable` proxies subclass it. */
    @Service
    open class Work {

        @Cancellable(name = "slow")
        open suspend fun slow(millis: Long): String {
            delay(millis)
            return "done"
        }

        @Cancellable(name = "inspect")
        open suspend fun inspect(token: CancellationToken): CancellationToken {
            delay(1)
            return token
        }
    }

    @RestController
    class Endpoints(private val work: Work) {

        /** The token as the handler sees it at its start, after a delay, on Dispatchers.IO, and a task's. */
        @GetMapping("/suspend/token")
        suspend fun token(): Map<String, Any?> {
            val atStart = CancellationToken.current()
            delay(20)
            val afterDelay = CancellationToken.current()
            val onIo = withContext(Dispatchers.IO) {
                delay(5)
                Thread.currentThread().name to CancellationToken.current()
            }
            val task = work.inspect(CancellationToken.none())
            return mapOf(
                "hasToken" to !atStart.isNone,
                "deadline" to atStart.deadline().map { it.toString() }.orElse(null),
                "sameAfterDelay" to (afterDelay === atStart),
                "ioThread" to onIo.first,
                "sameOnIo" to (onIo.second === atStart),
                "currentToken" to (currentToken() === atStart),
                "taskUnderRequest" to task.isDescendantOf(atStart),
                "taskDeadline" to task.deadline().map { it.toString() }.orElse(null))
        }

        /** A `@Cancellable` suspend call: a child task of the request, under its deadline. */
        @GetMapping("/suspend/slow")
        suspend fun slow(@RequestParam("ms") millis: Long): String = work.slow(millis)

        /** How the handlers of `/suspend/delay` ended: the exception their coroutine was cancelled with. */
        val delayEnds = LinkedBlockingQueue<Throwable>()

        /** The handlers of `/suspend/delay` whose child coroutine is running (its parent is waiting too). */
        val delayStarts = LinkedBlockingQueue<Unit>()

        /**
         * A handler that only suspends, in itself and in a child coroutine: the request's token cancels its coroutine.
         */
        @GetMapping("/suspend/delay")
        suspend fun plainDelay(@RequestParam("ms") millis: Long): String = coroutineScope {
            val child = async(Dispatchers.IO) {
                try {
                    delayStarts.add(Unit)
                    delay(millis)
                } catch (ex: CancellationException) {
                    delayEnds.add(ex)
                    throw ex
                }
            }
            try {
                delay(millis)
                child.await()
                "done"
            } catch (ex: CancellationException) {
                delayEnds.add(ex)
                throw ex
            }
        }

        /** The request's own token linked to a block of the handler with `withToken`. */
        @GetMapping("/suspend/with-token")
        suspend fun withRequestToken(@RequestParam("ms") millis: Long): String = withToken(currentToken()) {
            delay(millis)
            "done"
        }
    }
}
