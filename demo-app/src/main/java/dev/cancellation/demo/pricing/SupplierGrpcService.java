package dev.cancellation.demo.pricing;

import dev.cancellation.Cancellation;
import dev.cancellation.TaskCancelledException;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The slow supplier over gRPC ({@code demo.Supplier/Price}), on with {@code demo.prices.transport=grpc}: served by
 * Spring gRPC's server in the demo itself, beside the HTTP one. The starter runs each call under a token whose
 * deadline is the caller's {@code grpc-timeout} and which is cancelled when the caller cancels the call; the
 * supplier waits on that token ({@code Cancellation.sleep}), so it stops the moment the report gives up.
 */
@Component
@ConditionalOnProperty(name = "demo.prices.transport", havingValue = "grpc")
class SupplierGrpcService implements BindableService {

    private static final Logger log = LoggerFactory.getLogger(SupplierGrpcService.class);

    @Override
    public ServerServiceDefinition bindService() {
        return ServerServiceDefinition.builder(SupplierGrpc.SERVICE)
                .addMethod(SupplierGrpc.PRICE, ServerCalls.asyncUnaryCall(this::price))
                .build();
    }

    private void price(SupplierGrpc.PriceRequest request, StreamObserver<PriceReportService.SupplierPrice> responses) {
        Deadline deadline = Context.current().getDeadline();
        log.info("supplier (gRPC): price of {} asked, caller's deadline grpc-timeout={}, answering in {} ms",
                request.sku(), (deadline == null) ? "(none)" : deadline.timeRemaining(TimeUnit.MILLISECONDS) + " ms",
                request.delayMs());
        long start = System.nanoTime();
        try {
            Cancellation.sleep(Duration.ofMillis(request.delayMs()));
        } catch (TaskCancelledException cancelled) {
            log.info("supplier (gRPC): the call for {} was cancelled after {} ms, its token: {} ({})", request.sku(),
                    elapsedMs(start), cancelled.reason().kind(), cancelled.reason().origin());
            throw cancelled; // answered CANCELLED or DEADLINE_EXCEEDED by the starter; the caller is gone anyway
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            responses.onError(ex);
            return;
        }
        long cents = 1000 + Math.floorMod(request.sku().hashCode() * 7919L, 9000L);
        responses.onNext(new PriceReportService.SupplierPrice(request.sku(), cents));
        responses.onCompleted();
        log.info("supplier (gRPC): answered {} after {} ms", request.sku(), elapsedMs(start));
    }

    private static long elapsedMs(long start) {
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }
}
