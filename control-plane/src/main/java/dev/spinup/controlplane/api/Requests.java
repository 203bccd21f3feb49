package dev.spinup.controlplane.api;

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
    private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

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
        if (!REGION.matcher(value).matches()) {
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

    static int pageSize(int requested) {
        if (requested == 0) {
            return DEFAULT_PAGE_SIZE;
        }
        if (requested < 0 || requested > MAX_PAGE_SIZE) {
            throw SpinUpException.invalidField(
                    ErrorReason.PAGE_SIZE_INVALID,
                    "page_size",
                    "page_size must be between 1 and " + MAX_PAGE_SIZE + " (0 means " + DEFAULT_PAGE_SIZE + ")");
        }
        return requested;
    }

    /** One page out of a query that fetched up to {@code size + 1} rows: the extra row means there is more. */
    record Page<T>(List<T> items, String nextPageToken) {}

    static <T> Page<T> page(List<T> fetched, int size, Function<T, UUID> id) {
        if (fetched.size() <= size) {
            return new Page<>(fetched, "");
        }
        List<T> items = fetched.subList(0, size);
        return new Page<>(items, pageToken(id.apply(items.getLast())));
    }

    /** Opaque, forward-only cursor: base64url of "v1:" + the last id returned. */
    static String pageToken(UUID lastId) {
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(("v1:" + lastId).getBytes(StandardCharsets.UTF_8));
    }

    static UUID afterId(String pageToken) {
        if (pageToken.isEmpty()) {
            return null;
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8);
            if (!decoded.startsWith("v1:") || decoded.length() != 39) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(decoded.substring(3));
        } catch (IllegalArgumentException e) {
            throw SpinUpException.invalidField(
                    ErrorReason.PAGE_TOKEN_INVALID,
                    "page_token",
                    "page_token is not one this server issued; start again with an empty page_token");
        }
    }

    /** What an error may repeat of an input: a short prefix, control characters escaped. */
    static String printable(String s) {
        return dev.spinup.api.LogText.of(s, 64);
    }
}
