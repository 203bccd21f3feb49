package dev.spinup.controlplane.store;

import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * The bucket snapshot objects live in. Every call goes over the network: never call it inside a
 * transaction (a step does it in a {@code CallOut}).
 */
public interface SnapshotObjects {
    /** What an object holds: -1 bytes and an empty digest when there is no such object. */
    record Stored(long sizeBytes, String sha256Hex) {}

    /** An object as a listing shows it. */
    record Listed(String key, Instant lastModified, long sizeBytes) {}

    String bucket();

    /** The object's URI as snapshot rows record it. */
    String uri(String key);

    /** The key of an object given by {@link #uri}; refuses URIs of another bucket. */
    String keyOf(String uri);

    /** A URL a host can upload the object to, without credentials, for {@code ttl}. Signed locally. */
    URL presignPut(String key, Duration ttl);

    /** A URL a host can download the object from, without credentials, for {@code ttl}. Signed locally. */
    URL presignGet(String key, Duration ttl);

    /** Reads the whole object back and returns its size and SHA-256. */
    Stored read(String key);

    /** Deletes the object; deleting one that is gone is not an error. */
    void delete(String key);

    /** Every object whose key starts with {@code prefix}, a page at a time. */
    void list(String prefix, Consumer<List<Listed>> page);

    /** Deletes every object whose key starts with {@code prefix}; returns how many there were. */
    int deletePrefix(String prefix);
}
