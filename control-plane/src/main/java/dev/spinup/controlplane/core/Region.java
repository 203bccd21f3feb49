package dev.spinup.controlplane.core;

import java.time.Instant;
import java.util.regex.Pattern;

public record Region(String id, String displayName, String state, Instant createdAt) {
    /** What a region's id looks like: lower case letters, digits and -, 1-63 long (eu-west-1). */
    public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
}
