package dev.cancellation.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens the fleet's messages with HMAC-SHA256 under the fleet's keys. A sealed message is
 * {@code s1:<MAC>:<JSON>}, the MAC (43 characters, unpadded base64url) computed over the Redis channel or key the
 * message is sent on, a line feed, and the whole JSON: a message copied to another channel (a reply replayed as a
 * request, one instance's snapshot under another's key) does not verify.
 *
 * <p>The first key signs; every key verifies, so that a fleet rotates its key without downtime (add the new one
 * second, then first, then drop the old). Without a key, messages go out as bare JSON and any message is opened as
 * <em>unauthenticated</em>: the caller decides what such a message may do (look-ups, never cancels).
 *
 * <p>Thread-safety: immutable; each call works on its own clone of a key's initialised {@link Mac} (a {@code Mac} is
 * not thread-safe; a clone costs less than a new instance).
 */
final class FleetSigner {

    private static final String ALGORITHM = "HmacSHA256";

    private static final String PREFIX = "s1:";

    private static final int MAC_CHARS = 43;

    /** One initialised MAC per key, never used itself: cloned per call. */
    private final List<Key> keys;

    /** @throws IllegalStateException at startup, not at the first message, if the JVM lacks HmacSHA256 */
    FleetSigner(List<String> secrets) {
        this.keys = secrets.stream().map(FleetSigner::initialised).toList();
    }

    private static Key initialised(String secret) {
        SecretKeySpec spec = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
        return new Key(spec, fresh(spec));
    }

    private static Mac fresh(SecretKeySpec spec) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(spec);
            return mac;
        } catch (GeneralSecurityException ex) {
            throw new IllegalStateException(ALGORITHM + " is not available in this JVM", ex);
        }
    }

    /** A key and its initialised MAC. */
    private record Key(SecretKeySpec spec, Mac prototype) {

        /** A MAC of its own for one message: a clone, or a new one where the provider's cannot be cloned. */
        Mac mac() {
            try {
                return (Mac) prototype.clone();
            } catch (CloneNotSupportedException ex) {
                return fresh(spec);
            }
        }
    }

    /** Whether this instance has a key: it signs what it sends and accepts only what verifies. */
    boolean enabled() {
        return !keys.isEmpty();
    }

    /** {@code json} as sent on {@code channel}: sealed with the first key, bare without a key. */
    String seal(String channel, String json) {
        return keys.isEmpty() ? json : PREFIX + mac(keys.get(0), channel, json) + ":" + json;
    }

    /**
     * The JSON of {@code message} received on {@code channel}.
     *
     * @throws Unverifiable if this instance has a key and the message is unsealed, malformed, or sealed under none
     *     of the keys
     */
    Opened open(String channel, String message) {
        boolean sealed = message.startsWith(PREFIX);
        if (!sealed) {
            if (enabled()) {
                throw new Unverifiable("unsigned");
            }
            return new Opened(message, false);
        }
        int end = PREFIX.length() + MAC_CHARS;
        if (message.length() <= end || message.charAt(end) != ':') {
            throw new Unverifiable("malformed signature");
        }
        String json = message.substring(end + 1);
        if (!enabled()) {
            return new Opened(json, false); // signed by a keyed instance: this one cannot tell, so trusts it for nothing
        }
        byte[] claimed = message.substring(PREFIX.length(), end).getBytes(StandardCharsets.US_ASCII);
        for (Key key : keys) {
            // constant time: the comparison tells nothing about how much of a forged MAC was right
            if (MessageDigest.isEqual(claimed, mac(key, channel, json).getBytes(StandardCharsets.US_ASCII))) {
                return new Opened(json, true);
            }
        }
        throw new Unverifiable("signature does not verify under any fleet key");
    }

    private static String mac(Key key, String channel, String json) {
        Mac mac = key.mac();
        mac.update(channel.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) '\n');
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(
                json.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * A message's JSON.
     *
     * @param json the message without its seal
     * @param authenticated whether its MAC verified under a fleet key
     */
    record Opened(String json, boolean authenticated) {
    }

    /** A message that does not verify; the message says why, never anything about the keys. */
    static final class Unverifiable extends RuntimeException {

        private static final long serialVersionUID = 1L;

        Unverifiable(String message) {
            super(message, null, false, false);
        }
    }
}
