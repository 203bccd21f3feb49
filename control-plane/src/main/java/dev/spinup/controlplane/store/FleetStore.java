package dev.spinup.controlplane.store;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Host;
import dev.spinup.controlplane.core.HostState;
import dev.spinup.controlplane.core.Region;
import dev.spinup.controlplane.core.RegionCapacity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Regions, hosts and what hosts report about themselves. */
public interface FleetStore {
    /** A host with what is allocated on it (derived) and how many workspaces it holds. */
    record HostView(Host host, Envelope allocated, int workspaceCount) {}

    /** A workspace a host has that the control plane does not place there. */
    record Orphan(UUID hostId, String workspaceId, String localState, Instant firstSeenAt, Instant lastSeenAt) {}

    void ensureRegion(String id, String displayName);

    /** Up to {@code limit} regions after {@code afterId} (null: from the first), by id. */
    List<Region> regions(String afterId, int limit);

    boolean regionExists(String id);

    Optional<Region> findRegion(String id);

    /** The region's capacity settings; empty if there is no such region. */
    Optional<RegionCapacity> capacity(String regionId);

    /** Replaces the region's capacity settings; false if there is no such region. */
    boolean setCapacity(String regionId, RegionCapacity capacity);

    /** Names the capacity provider that grows the region ("static": none). */
    boolean setProvider(String regionId, String provider);

    /** The regions a provider grows, by id. */
    List<String> regionsGrownBy(String provider);

    /** A healthy host that holds no active or suspended workspace, and since when. */
    record EmptyHost(Host host, Instant emptySince) {}

    /**
     * The region's healthy hosts that hold no active or suspended workspace, oldest empty first:
     * marks those that just became empty (since {@code now}) and unmarks those that are not.
     */
    List<EmptyHost> emptyHosts(String regionId, Instant now);

    /**
     * Drains the host for scale-in if it is healthy and still holds no active or suspended
     * workspace. The check is made with its row locked, after any placement on it has committed.
     */
    boolean drainIfEmpty(UUID id, Instant now, String reason);

    /** The region's draining hosts whose reason starts with {@code reasonPrefix} (scale-in's own). */
    List<Host> draining(String regionId, String reasonPrefix);

    /** Holds, until the transaction ends, the right to enroll a host for this cloud instance. */
    void lockInstance(String instanceId);

    /** The host a cloud instance enrolled (its name is the instance id, or starts with it and a dot), in any state. */
    Optional<UUID> hostOfInstance(String instanceId);

    /** The region's hosts that are neither retired nor lost (nor still enrolling). */
    List<Host> inService(String regionId);

    /** Draining to retired: its certificate opens no session from now on. */
    boolean retire(UUID id, Instant now, String reason);

    /** The provider that grows the region ("static": none); empty if there is no such region. */
    Optional<String> provider(String regionId);

    /** Whether a provider grows the region, so a create finding no room waits for one. */
    default boolean elastic(String regionId) {
        return provider(regionId).filter(p -> !p.equals("static")).isPresent();
    }

    /** How many of the region's hosts are in each state. */
    record StateCount(HostState state, int hosts) {}

    List<StateCount> hostCounts(String regionId);

    /**
     * Registers a host (it is enrolling, for {@code reason}, until its first heartbeat), or updates
     * the capacity of an existing one with the same id.
     */
    void registerHost(UUID id, String regionId, String fqdn, Envelope total, Instant now, String reason);

    /** A host an operator registered out of band (dev mode's own, a test's). */
    default void registerHost(UUID id, String regionId, String fqdn, Envelope total) {
        registerHost(id, regionId, fqdn, total, Instant.now(), "registered; waiting for its first heartbeat");
    }

    Optional<Host> findHost(UUID id);

    Optional<UUID> hostNamed(String fqdn);

    /** Every host that runs an edge (it told its edge's address), but retired ones. */
    List<UUID> hostsWithEdge();

    /** Where browsers and other hosts reach the host's edge ({@code host:port}); empty if it runs none. */
    Optional<String> edgeAddress(UUID id);

    /** Whether the host is registered and neither retired nor lost: the only hosts whose agents are listened to. */
    boolean isActiveHost(UUID id);

    Optional<HostView> hostView(UUID id);

    List<HostView> hostViews(String regionId, HostState state, UUID afterId, int limit);

    long countIn(HostState state);

    /**
     * Draining hosts take no new workspaces; the ones they have stay. False if no such host, or it is
     * retired or draining already (it keeps the since and reason it has).
     */
    boolean drain(UUID id, Instant now, String reason);

    /** Back to healthy, or unhealthy if its lease has run out meanwhile (enrolling if it never beat). */
    boolean undrain(UUID id, Instant leaseCutoff, Instant now, String reason);

    /** Healthy hosts whose last heartbeat is older than the cutoff become unhealthy; returns their ids. */
    List<UUID> expireLeases(Instant cutoff, Instant now);

    /**
     * Fences the host: lost from now on (its certificate opens no session, its steps fail). False
     * if there is no such host or it is lost or retired already.
     */
    boolean declareLost(UUID id, Instant now, String reason);

    /** Unhealthy or draining hosts whose last heartbeat is older than the cutoff: lost past the grace. */
    List<UUID> silentSince(Instant cutoff);

    /** Lost hosts that still hold an active, suspended or archived workspace: recovery is not done with them. */
    List<UUID> lostWithWorkspaces();

    /**
     * A new home for archived workspaces' names: a healthy host of the region other than {@code
     * leaving}, one that runs an edge first.
     */
    Optional<UUID> namesHomeIn(String regionId, UUID leaving);

    /**
     * Whether the host holds no workspace that is not deleted, and no operation in flight moves
     * one off it (an EVACUATE moves its row when accepted, while its copy is still there).
     */
    boolean holdsNothing(UUID id);

    /** Whether the host was declared lost. */
    boolean isLost(UUID id);

    /**
     * Up to {@code limit} orphans, every host's or {@code hostId}'s when given, after (host,
     * workspace) {@code after} (null: from the first).
     */
    List<Orphan> orphans(UUID hostId, OrphanKey after, int limit);

    /** Where a page of orphans ends. */
    record OrphanKey(UUID hostId, String workspaceId) {}

    /** What the host reported now replaces what it reported before: workspace id → its local state. */
    void replaceOrphans(UUID hostId, Map<String, String> localStates, Instant now);

    /**
     * A host's agent opened a session: records where its edge answers (empty: it runs none).
     * False when the host is unknown or retired (it may not open a session).
     */
    boolean openSession(UUID id, String edgeAddress);

    /**
     * What a group of heartbeats did: the hosts whose rows another transaction held (skipped, for
     * the caller to try again), and those this made healthy for the first time (just enrolled).
     */
    record Beats(Set<UUID> busy, Set<UUID> first) {}

    /**
     * Many hosts' heartbeats in one statement; an enrolling or unhealthy host becomes healthy. A
     * host row another transaction has locked is skipped rather than waited for.
     */
    Beats heartbeats(Map<UUID, Instant> at);

    /** One host's heartbeat (see {@link #heartbeats}). */
    default boolean heartbeat(UUID hostId, Instant at) {
        return heartbeats(Map.of(hostId, at)).busy().isEmpty();
    }
}
