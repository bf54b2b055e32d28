package dev.cancellation.spring;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A duration attribute of {@code @Cancellable} as resolved at startup: the configured default, explicitly none,
 * or a value.
 */
record DurationSetting(Kind kind, @Nullable Duration value) {

    enum Kind {
        /** Empty attribute: use the configured default. */
        DEFAULT,
        /** No timeout / never interrupt. */
        NONE,
        /** An explicit, non-negative duration. */
        VALUE
    }

    static final DurationSetting DEFAULT = new DurationSetting(Kind.DEFAULT, null);

    static final DurationSetting NONE = new DurationSetting(Kind.NONE, null);

    static DurationSetting of(Duration value) {
        return new DurationSetting(Kind.VALUE, value);
    }

    /** The effective value, {@code null} meaning none. */
    @Nullable Duration orElse(@Nullable Duration configuredDefault) {
        return switch (kind) {
            case DEFAULT -> configuredDefault;
            case NONE -> null;
            case VALUE -> value;
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case DEFAULT -> "default";
            case NONE -> "none";
            case VALUE -> String.valueOf(value);
        };
    }
}
