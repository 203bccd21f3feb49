package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.store.DnsStore.DnsRecord;
import java.util.List;

/**
 * Where workspaces' names are published: an authoritative DNS server (RFC 2136), a Route 53
 * hosted zone, or none (dev, where {@code *.localhost} resolves already). Each change replaces a
 * name's records whole, so applying one twice leaves the same zone.
 */
public interface DnsPublisher {
    /**
     * One name's change: {@code before} is what was last published for it (null: nothing known),
     * {@code after} what it should say (null: remove the name).
     */
    record NameChange(DnsRecord before, DnsRecord after) {
        public String name() {
            return after != null ? after.name() : before.name();
        }
    }

    /** Applies {@code changes} in one update; applying them again changes nothing. */
    void apply(List<NameChange> changes) throws DnsException;

    /** The zone the publisher may write, e.g. "workspaces.example.com": names outside it are not published. */
    String zone();

    /** What the publisher is ("rfc2136 127.0.0.1:53 zone workspaces.example.com"), for logs. */
    String describe();

    /** The server refused the update, or did not answer. */
    final class DnsException extends Exception {
        public DnsException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
