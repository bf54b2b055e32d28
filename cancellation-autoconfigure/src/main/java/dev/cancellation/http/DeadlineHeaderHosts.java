package dev.cancellation.http;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The hosts that receive the budget header: an application may not want to tell third parties how long it is
 * prepared to wait. A pattern is {@code *} (every host), a host name or IP literal ({@code stock.internal},
 * {@code 10.0.0.7}, {@code [::1]}), matched exactly, or {@code *.example.com}, which matches every name under
 * {@code example.com} (not {@code example.com} itself). Matching ignores case and never looks at the port.
 *
 * <p>Only the header is chosen by host: refusing a spent call and aborting a cancelled one apply to every host.
 *
 * <p>Thread-safety: immutable.
 */
final class DeadlineHeaderHosts {

    /** The default: every host, as before the list existed. */
    static final DeadlineHeaderHosts ALL = new DeadlineHeaderHosts(List.of("*"), true);

    private final List<String> patterns;
    private final boolean all;

    private DeadlineHeaderHosts(List<String> patterns, boolean all) {
        this.patterns = patterns;
        this.all = all;
    }

    /**
     * Parses the patterns.
     *
     * @param what the property or parameter, named in errors
     * @throws IllegalArgumentException naming {@code what}, the index and the pattern if one is not valid, or if
     *     the list is empty (there is {@code propagate-deadline=false} for "no host")
     */
    static DeadlineHeaderHosts of(List<String> patterns, String what) {
        Objects.requireNonNull(patterns, what);
        if (patterns.isEmpty()) {
            throw new IllegalArgumentException(what + " must name at least one host pattern ('*' for every host); "
                    + "to send the header to no host, set cancellation.http.client.propagate-deadline=false");
        }
        List<String> normalized = new ArrayList<>(patterns.size());
        boolean all = false;
        for (int i = 0; i < patterns.size(); i++) {
            String pattern = check(patterns.get(i), what + "[" + i + "]");
            all |= pattern.equals("*");
            normalized.add(pattern);
        }
        return new DeadlineHeaderHosts(List.copyOf(normalized), all);
    }

    /** Whether a request to {@code uri} gets the header. A URI without a host gets it only under {@code *}. */
    boolean matches(URI uri) {
        if (all) {
            return true;
        }
        String host = normalize(uri.getHost());
        if (host == null) {
            return false;
        }
        for (String pattern : patterns) {
            if (pattern.startsWith("*.") ? host.endsWith(pattern.substring(1)) : host.equals(pattern)) {
                return true;
            }
        }
        return false;
    }

    List<String> patterns() {
        return patterns;
    }

    private static String check(@Nullable String raw, String what) {
        String pattern = normalize(raw);
        if (pattern == null || pattern.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        if (pattern.equals("*")) {
            return pattern;
        }
        String name = pattern.startsWith("*.") ? pattern.substring(2) : pattern;
        if (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..")) {
            throw new IllegalArgumentException(what + " '" + raw + "' is not a host pattern: expected '*', a host "
                    + "name or IP address, or '*.' and a domain");
        }
        if (name.indexOf(':') >= 0 && name.indexOf(':') == name.lastIndexOf(':')) {
            throw new IllegalArgumentException(what + " '" + raw + "' is not a host pattern: a host name, without "
                    + "a port (the port is not matched)");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':'
                    || c == '_';
            if (!ok) {
                throw new IllegalArgumentException(what + " '" + raw + "' is not a host pattern: '" + c
                        + "' is not allowed (" + ((c == '*') ? "'*' only as the whole pattern or as '*.' before a domain"
                        : "a host name, without scheme, port or path") + ")");
            }
        }
        return pattern;
    }

    /** Lower case, trimmed, without the brackets of an IPv6 literal. */
    private static @Nullable String normalize(@Nullable String host) {
        if (host == null) {
            return null;
        }
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.length() > 1 && h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h;
    }

    @Override
    public String toString() {
        return String.join(",", patterns);
    }
}
