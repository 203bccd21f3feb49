package dev.spinup.controlplane.api;

import com.google.protobuf.Message;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.SpinUpException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/** Validation of request fields: bad input is refused here with a reason, never by the database. */
final class Requests {
    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 500;
    private static final Pattern REQUEST_ID = Pattern.compile("[\\x21-\\x7E]{1,128}");
    private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?");

    private Requests() {}

    static String requestId(String value) {
        if (value.isEmpty()) {
            throw SpinUpException.invalidField(
                    ErrorReason.REQUEST_ID_MISSING,
                    "request_id",
                    "request_id is required: a client-chosen id that makes the call idempotent");
        }
        if (!REQUEST_ID.matcher(value).matches()) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID,
                    "request_id",
                    "request_id must be 1-128 printable ASCII characters without spaces");
        }
        return value;
    }

    /** Free text: required or not, at most {@code max} characters, no control characters. */
    static String text(String field, String value, boolean required, int max) {
        if (value.length() > 2 * max) { // surely over max code points: refused before it is scanned
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID, field, field + " must be at most " + max + " characters");
        }
        if (value.isBlank()) {
            if (required) {
                throw SpinUpException.invalidField(ErrorReason.FIELD_REQUIRED, field, field + " is required");
            }
            return value;
        }
        if (value.codePointCount(0, value.length()) > max) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID, field, field + " must be at most " + max + " characters");
        }
        if (value.codePoints().anyMatch(Character::isISOControl)) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID, field, field + " must not contain control characters");
        }
        return value;
    }

    static String region(String value) {
        if (value.isEmpty()) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_REQUIRED, "region", "region is required");
        }
        if (!dev.spinup.controlplane.core.Region.ID.matcher(value).matches()) {
            throw SpinUpException.invalidField(
                    ErrorReason.UNKNOWN_REGION, "region", "no region named \"" + printable(value) + "\"");
        }
        return value;
    }

    static UUID id(String field, String value) {
        if (value.isEmpty()) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_REQUIRED, field, field + " is required");
        }
        try {
            if (value.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, field, field + " must be a UUID");
        }
    }

    static Map<String, String> labels(Map<String, String> labels) {
        if (labels.size() > 64) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, "labels", "at most 64 labels");
        }
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!LABEL_KEY.matcher(e.getKey()).matches()) {
                throw SpinUpException.invalidField(
                        ErrorReason.FIELD_INVALID,
                        "labels",
                        "label keys are 1-63 characters of a-z 0-9 . _ / - starting and ending alphanumeric");
            }
            text("labels[" + e.getKey() + "]", e.getValue(), false, 256);
        }
        return labels;
    }

    /** google.protobuf.Duration's own range: ±10,000 years, nanos of the seconds' sign. */
    private static final long MAX_DURATION_SECONDS = 315_576_000_000L;

    /** A protobuf Duration as a java.time one; a value outside Duration's range is refused, not overflowed. */
    /**
     * The duration {@code field} holds, between {@code min} and {@code max}; else TTL_OUT_OF_RANGE
     * naming the field and the bounds (in seconds), the message saying what lasts that long.
     */
    static java.time.Duration ttl(
            String field, com.google.protobuf.Duration d, java.time.Duration min, java.time.Duration max, String what) {
        java.time.Duration ttl = duration(field, d);
        if (ttl.compareTo(min) < 0 || ttl.compareTo(max) > 0) {
            throw new SpinUpException(
                    SpinUpException.Kind.INVALID_ARGUMENT,
                    ErrorReason.TTL_OUT_OF_RANGE,
                    field + " is " + ttl.toSeconds() + " s; " + what + " lasts " + min.toSeconds() + " to "
                            + max.toSeconds() + " s",
                    java.util.Map.of(
                            "field", field,
                            "min", Long.toString(min.toSeconds()),
                            "max", Long.toString(max.toSeconds())));
        }
        return ttl;
    }

    static java.time.Duration duration(String field, com.google.protobuf.Duration d) {
        long s = d.getSeconds();
        int n = d.getNanos();
        if (s < -MAX_DURATION_SECONDS
                || s > MAX_DURATION_SECONDS
                || n <= -1_000_000_000
                || n >= 1_000_000_000
                || (s > 0 && n < 0)
                || (s < 0 && n > 0)) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_INVALID, field, field + " is not a valid duration");
        }
        return java.time.Duration.ofSeconds(s, n);
    }

    /** At most this long before anything else is done with it: a DNS name's longest. */
    static final int MAX_DOMAIN = 253;

    /**
     * AIP-158: 0 means the default; above the maximum is coerced to it (a client asking for "all"
     * gets the largest page, not an error); negative is refused.
     */
    static int pageSize(int requested) {
        if (requested == 0) {
            return DEFAULT_PAGE_SIZE;
        }
        if (requested < 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.PAGE_SIZE_INVALID,
                    "page_size",
                    "page_size must not be negative (0 means " + DEFAULT_PAGE_SIZE + ", at most " + MAX_PAGE_SIZE
                            + ")");
        }
        return Math.min(requested, MAX_PAGE_SIZE);
    }

    /** One page out of a query that fetched up to {@code size + 1} rows: the extra row means there is more. */
    record Page<T>(List<T> items, String nextPageToken) {}

    /**
     * The page of {@code fetched} for the list request {@code query}; its next_page_token carries
     * the last id and a digest of the query's filters, so it continues only that query.
     */
    static <T> Page<T> page(List<T> fetched, int size, Function<T, UUID> id, Message query) {
        return pageAt(fetched, size, item -> id.apply(item).toString(), query);
    }

    /** As {@link #page}, for a list ordered by a key that is not a UUID (written as text in the token). */
    static <T> Page<T> pageAt(List<T> fetched, int size, Function<T, String> key, Message query) {
        if (fetched.size() <= size) {
            return new Page<>(fetched, "");
        }
        List<T> items = fetched.subList(0, size);
        return new Page<>(items, pageToken(key.apply(items.getLast()), query));
    }

    /** Opaque, forward-only cursor: base64url of "v2:" + the filters' digest + ":" + the last key returned. */
    static String pageToken(UUID lastId, Message query) {
        return pageToken(lastId.toString(), query);
    }

    private static String pageToken(String lastKey, Message query) {
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(("v2:" + filters(query) + ":" + lastKey).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Where {@code query}'s page_token says to continue (null for the first page). A token of
     * another query (other filters) is refused: its position means nothing there.
     */
    static UUID afterId(Message query) {
        String after = afterKey(query);
        if (after == null) {
            return null;
        }
        try {
            if (after.length() != 36) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(after);
        } catch (IllegalArgumentException e) {
            throw foreignToken();
        }
    }

    /** As {@link #afterId}, for a list ordered by a text key (see {@link #pageAt}). */
    static String afterKey(Message query) {
        String pageToken = (String) query.getField(query.getDescriptorForType().findFieldByName("page_token"));
        if (pageToken.isEmpty()) {
            return null;
        }
        String[] parts;
        try {
            parts = new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8).split(":", 3);
        } catch (IllegalArgumentException e) {
            throw foreignToken();
        }
        if (parts.length != 3 || !parts[0].equals("v2") || parts[2].isEmpty()) {
            throw foreignToken();
        }
        if (!parts[1].equals(filters(query))) {
            throw SpinUpException.invalidField(
                    ErrorReason.PAGE_TOKEN_FILTERS_CHANGED,
                    "page_token",
                    "page_token was issued for a list with other filters; keep the filters of the first page,"
                            + " or start again with an empty page_token");
        }
        return parts[2];
    }

    /** A page_token this server did not issue (or cannot read). */
    static SpinUpException foreignToken() {
        return SpinUpException.invalidField(
                ErrorReason.PAGE_TOKEN_INVALID,
                "page_token",
                "page_token is not one this server issued; start again with an empty page_token");
    }

    /** A digest of the request without its page_size and page_token: what the list is of. */
    private static String filters(Message query) {
        Message.Builder b = query.toBuilder();
        b.clearField(query.getDescriptorForType().findFieldByName("page_token"));
        b.clearField(query.getDescriptorForType().findFieldByName("page_size"));
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(b.build().toByteArray());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 9));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What an error may repeat of an input: a short prefix, control characters escaped. */
    static String printable(String s) {
        return dev.spinup.api.LogText.of(s, 64);
    }
}
