package dev.cancellation.grpc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import io.grpc.Context;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The two signals of a call's cancel (the context's listener and the listener's {@code onCancel}, on two threads):
 * the second returns only once the first one's callbacks have run, so the service's own cancel handler, which runs
 * after it, never overtakes them.
 */
class InboundCallTests {

    @Test
    void onCancelWaitsForTheCallbacksTheContextsCancelIsRunning() throws Exception {
        Context.CancellableContext context = Context.current().withCancellation();
        InboundCall inbound = new InboundCall("test.Work/Run", context, null);
        CountDownLatch callbackEntered = new CountDownLatch(1);
        CountDownLatch releaseCallback = new CountDownLatch(1);
        inbound.callToken().onCancel(reason -> {
            callbackEntered.countDown();
            awaitLatch(releaseCallback);
        });
        CompletableFuture<Void> contextCancel = CompletableFuture.runAsync(
                () -> context.cancel(Status.CANCELLED.withDescription("gone").asRuntimeException()));
        assertThat(callbackEntered.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

        CompletableFuture<Void> onCancel = CompletableFuture.runAsync(inbound::callCancelled);

        await().during(Duration.ofMillis(200)).atMost(PROMPTLY).until(() -> !onCancel.isDone());
        releaseCallback.countDown();
        onCancel.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        contextCancel.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(inbound.callToken().reason()).map(CancellationReason::origin).hasValue("client cancelled");
        inbound.close();
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
