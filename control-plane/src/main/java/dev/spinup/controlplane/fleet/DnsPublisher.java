package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.store.DnsStore.DnsRecord;
import java.util.List;

/**
 * Where workspaces' names are published: an authoritative DNS server (RFC 2136), or none (dev,
 * where {@code *.localhost} resolves already). Each change replaces a name's records whole, so
 * applying one twice leaves the same zone.
 */
public interface DnsPublisher {
    /** Replaces each name of {@code upserts} with its record, and removes {@code deletes}; one call, one update. */
    void apply(List<DnsRecord> upserts, List<String> deletes) throws DnsException;

    /** What the publisher is ("rfc2136 127.0.0.1:53 zone workspaces.example.com"), for logs. */
    String describe();

    /** The server refused the update, or did not answer. */
    final class DnsException extends Exception {
        public DnsException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
