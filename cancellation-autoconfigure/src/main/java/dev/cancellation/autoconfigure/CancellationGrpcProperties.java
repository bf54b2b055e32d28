package dev.cancellation.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the gRPC edge, bound from {@code cancellation.grpc.*}.
 *
 * <p>Thread-safety: a mutable bean, written by the binder once at startup and read afterwards.
 */
@ConfigurationProperties(prefix = "cancellation.grpc")
public class CancellationGrpcProperties {

    /**
     * Whether gRPC calls follow cancellation tokens: every call a server answers runs under a token with the
     * call's deadline, cancelled when the client cancels; calls made under a token get its deadline and its cancel.
     */
    private boolean enabled = true;

    /**
     * Whether every call a server answers is registered as a task named after its full method name
     * ('prices.Prices/Quote'), listed by the cancellation endpoint and cancellable from it.
     */
    private boolean registerCalls = false;

    /**
     * Whether the description of the status of a cancelled call (DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE)
     * includes the reason's message, free text written by whoever cancelled. Off: the method name and the kind only.
     */
    private boolean statusIncludeReasonMessage = false;

    private final Client client = new Client();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean isRegisterCalls() {
        return registerCalls;
    }

    public void setRegisterCalls(boolean registerCalls) {
        this.registerCalls = registerCalls;
    }

    public boolean isStatusIncludeReasonMessage() {
        return statusIncludeReasonMessage;
    }

    public void setStatusIncludeReasonMessage(boolean statusIncludeReasonMessage) {
        this.statusIncludeReasonMessage = statusIncludeReasonMessage;
    }

    public Client getClient() {
        return client;
    }

    /** Outbound calls: the channels of Spring gRPC's channel factory. */
    public static class Client {

        /**
         * Whether calls made under a token get the earlier of their own and the token's deadline, are refused once
         * the token is cancelled, and are cancelled when it is.
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }
}
