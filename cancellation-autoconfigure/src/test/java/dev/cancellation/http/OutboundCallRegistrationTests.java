package dev.cancellation.http;

import static dev.cancellation.Internals.listSize;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

/** Calls under a long-lived token leave nothing behind in it: each call's callback goes when the call ends. */
class OutboundCallRegistrationTests {

    @Test
    void finishedCallsKeepNoCallbackInTheToken() throws Exception {
        try (LoopbackServer server = new LoopbackServer();
                CancellationSource longLived = CancellationSource.withTimeout(Duration.ofHours(1))) {
            RestClient client = RestClient.builder().requestFactory(new JdkClientHttpRequestFactory())
                    .requestInterceptor(new CancellationClientHttpRequestInterceptor()).build();
            try (Cancellation.Scope ignored = Cancellation.enter(longLived.token())) {
                for (int i = 0; i < 200; i++) {
                    assertThat(client.get().uri(server.uri("/fast")).retrieve().body(String.class)).isEqualTo("ok");
                    client.get().uri(server.uri("/fast")).retrieve().toBodilessEntity();
                }
            }
            assertThat(listSize(longLived.token())).isZero();
            assertThat(server.served()).isEqualTo(400);
        }
    }
}
