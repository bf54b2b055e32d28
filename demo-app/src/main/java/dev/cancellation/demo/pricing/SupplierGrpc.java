package dev.cancellation.demo.pricing;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The supplier's gRPC method, {@code demo.Supplier/Price}, written by hand: no {@code .proto} file and no code
 * generation, each message a line of UTF-8 text ({@code sku;delayMs} in, {@code sku;priceCents} out). A real
 * service would have protobuf messages and a generated stub; the cancellation is the same.
 */
final class SupplierGrpc {

    /** The service's name. */
    static final String SERVICE = "demo.Supplier";

    /** What the report asks: the item, and how long the simulated supplier takes. */
    record PriceRequest(String sku, long delayMs) {
    }

    /** The unary method: one request, one price. */
    static final MethodDescriptor<PriceRequest, PriceReportService.SupplierPrice> PRICE = MethodDescriptor
            .<PriceRequest, PriceReportService.SupplierPrice>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Price"))
            .setRequestMarshaller(marshaller(request -> request.sku() + ";" + request.delayMs(), text -> {
                String[] parts = fields(text);
                return new PriceRequest(parts[0], Long.parseLong(parts[1]));
            }))
            .setResponseMarshaller(marshaller(price -> price.sku() + ";" + price.priceCents(), text -> {
                String[] parts = fields(text);
                return new PriceReportService.SupplierPrice(parts[0], Long.parseLong(parts[1]));
            }))
            .build();

    private SupplierGrpc() {
    }

    private static String[] fields(String text) {
        int separator = text.lastIndexOf(';');
        if (separator < 0) {
            throw new IllegalArgumentException("not a supplier message: " + text);
        }
        return new String[] {text.substring(0, separator), text.substring(separator + 1)};
    }

    private static <T> MethodDescriptor.Marshaller<T> marshaller(Function<T, String> write, Function<String, T> read) {
        return new MethodDescriptor.Marshaller<>() {
            @Override
            public InputStream stream(T value) {
                return new ByteArrayInputStream(write.apply(value).getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public T parse(InputStream stream) {
                try {
                    return read.apply(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }
        };
    }
}
