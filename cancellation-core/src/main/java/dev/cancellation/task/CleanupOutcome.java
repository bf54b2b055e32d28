package dev.cancellation.task;

/** How an {@code @OnCancel} cleanup ended. */
public enum CleanupOutcome {
    /** It returned (or its stage completed) normally. */
    SUCCESS,
    /** It threw, its stage failed, or it could not be started (cleanup executor saturated or shut down). */
    FAILED,
    /** It did not finish within the cleanup bound; its token was cancelled and it is no longer waited for. */
    TIMEOUT;

    /** The lower-case tag value, e.g. {@code "success"}. */
    public String tagValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
