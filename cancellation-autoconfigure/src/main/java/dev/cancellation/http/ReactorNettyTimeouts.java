package dev.cancellation.http;

import java.time.Duration;
import java.util.function.Consumer;
import org.springframework.http.client.reactive.ClientHttpRequest;
import reactor.netty.http.client.HttpClientRequest;

/** Per-request response timeout on Reactor Netty; loaded only when Reactor Netty is present. */
final class ReactorNettyTimeouts {

    private ReactorNettyTimeouts() {
    }

    static Consumer<ClientHttpRequest> responseTimeout(Duration timeout) {
        return request -> {
            if (request.getNativeRequest() instanceof HttpClientRequest nativeRequest) {
                nativeRequest.responseTimeout(timeout);
            }
        };
    }
}
