package dev.spinup.controlplane.store;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The DNS records published for workspaces' names, and what their names should say now. */
public interface DnsStore {
    /** One record: {@code type} A, AAAA or CNAME. */
    record DnsRecord(String name, String type, String value) {}

    /**
     * A workspace that is not deleted, where its home host's edge is reached ({@code host:port}),
     * and its preview ports and custom domains.
     */
    record Named(UUID workspaceId, String edgeAddress, List<Integer> previewPorts, List<String> customDomains) {}

    /** Every workspace that is not deleted and whose home host runs an edge. */
    List<Named> named();

    /** What the DNS server was last told, by name. */
    List<DnsRecord> published();

    /** The server took {@code record}. */
    void recordPublished(DnsRecord record, Instant now);

    /** The server removed the name. */
    void recordDeleted(String name);
}
