package dev.spinup.controlplane.agents;

import dev.spinup.api.v1.Heartbeat;
import dev.spinup.controlplane.store.Transactions;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What a host's heartbeat says about its edge: how its access checks ended (one counter for all
 * hosts, {@code spinup_edge_access_checks_total{outcome}}) and which of its workspaces were used
 * (their {@code last_active_at}) and what they listen on (their preview ports).
 */
final class EdgeReports {
    /**
     * The outcomes an agent reports: its own three and the edge's refusal reasons (the GRANT_*
     * values of the closed enum, and PORT_NOT_LISTENING for a closed preview port). Anything else counts as "other", so a host cannot grow the metric.
     */
    private static final Set<String> OUTCOMES = java.util.stream.Stream.concat(
                    java.util.stream.Stream.of("allowed", "redeemed", "error"),
                    java.util.Arrays.stream(dev.spinup.controlplane.core.ErrorReason.values())
                            .map(Enum::name)
                            .filter(name -> name.startsWith("GRANT_") || name.equals("PORT_NOT_LISTENING")))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    private final Transactions db;
    private final Clock clock;
    private final MeterRegistry meters;
    private final ConcurrentMap<UUID, Map<String, Long>> accessSeen = new ConcurrentHashMap<>();

    EdgeReports(Transactions db, Clock clock, MeterRegistry meters) {
        this.db = db;
        this.clock = clock;
        this.meters = meters;
        // documented series exist from start, at 0, so a rate() sees their first increase
        for (String outcome : OUTCOMES) {
            meters.counter("spinup_edge_access_checks", "outcome", outcome);
        }
        meters.counter("spinup_edge_access_checks", "outcome", "other");
    }

    void record(UUID hostId, Heartbeat heartbeat) {
        countAccess(hostId, heartbeat.getEdgeAccessMap());
        recordActivity(hostId, heartbeat.getLastActiveMap());
        if (heartbeat.hasPreviewPorts()) {
            recordPreviewPorts(hostId, heartbeat.getPreviewPorts());
        }
    }

    /** The host's whole report of what its workspaces listen on (sent when it changed). */
    private void recordPreviewPorts(UUID hostId, dev.spinup.api.v1.PreviewPortsReport report) {
        Map<UUID, java.util.List<Integer>> ports = new java.util.HashMap<>();
        report.getWorkspacesMap().forEach((workspace, listening) -> {
            try {
                ports.put(
                        UUID.fromString(workspace),
                        listening.getPortsList().stream()
                                .filter(p -> p >= 1 && p <= 65535)
                                .distinct()
                                .sorted()
                                .toList());
            } catch (IllegalArgumentException e) {
                // not a workspace id: nothing of ours to touch
            }
        });
        db.inTransactionVoid(tx -> tx.workspaces().reportPreviewPorts(hostId, ports));
    }

    /**
     * Each heartbeat carries the agent's totals since it started, so the counter grows by what is
     * new since the host's last heartbeat (all of it after an agent restart, when totals start again).
     */
    private void countAccess(UUID hostId, Map<String, Long> totals) {
        Map<String, Long> before = accessSeen.getOrDefault(hostId, Map.of());
        boolean restarted =
                totals.entrySet().stream().anyMatch(e -> e.getValue() < before.getOrDefault(e.getKey(), 0L));
        totals.forEach((outcome, total) -> {
            long added = restarted ? total : total - before.getOrDefault(outcome, 0L);
            if (added > 0) {
                meters.counter("spinup_edge_access_checks", "outcome", OUTCOMES.contains(outcome) ? outcome : "other")
                        .increment(added);
            }
        });
        accessSeen.put(hostId, Map.copyOf(totals));
    }

    /** A host speaks only for the workspaces placed on it; a time ahead of this replica's clock counts as now. */
    private void recordActivity(UUID hostId, Map<String, com.google.protobuf.Timestamp> used) {
        if (used.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        db.inTransactionVoid(tx -> used.forEach((workspace, at) -> {
            UUID id;
            try {
                id = UUID.fromString(workspace);
            } catch (IllegalArgumentException e) {
                return; // not a workspace id: nothing of ours to touch
            }
            Instant when = Instant.ofEpochSecond(at.getSeconds(), at.getNanos());
            tx.workspaces().touch(hostId, id, when.isAfter(now) ? now : when);
        }));
    }
}
