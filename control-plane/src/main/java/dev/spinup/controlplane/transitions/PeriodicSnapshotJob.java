package dev.spinup.controlplane.transitions;

import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.Snapshot;
import dev.spinup.controlplane.core.SnapshotKind;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.engine.OperationJob;
import dev.spinup.controlplane.engine.Plan;
import dev.spinup.controlplane.steps.SnapshotSteps;
import dev.spinup.controlplane.store.Tx;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * SNAPSHOT (system, active workspaces, not busy-making): a periodic snapshot, uploaded and
 * verified, then retention applied (the point of no return: it deletes older snapshots). A failed
 * upload or verification deletes the new object and ends ROLLED_BACK; the next scan tries again. Most are differentials against the newest periodic full one;
 * every {@value #FULL_EVERY}th is a full, so a restore never needs more than two archives.
 */
public final class PeriodicSnapshotJob implements OperationJob {
    static final int FULL_EVERY = 7;

    private final Clock clock;
    private final Plan plan;

    public PeriodicSnapshotJob(SnapshotSteps snapshotSteps, Clock clock) {
        this.clock = clock;
        this.plan = Plan.builder()
                .step(snapshotSteps.take("snapshot", SnapshotKind.PERIODIC), snapshotSteps.discard("discard_snapshot"))
                .step(snapshotSteps.verify("verify"), "none: it only reads")
                .pointOfNoReturn()
                .step(snapshotSteps.prune("retention"), "none: past the point of no return")
                .build();
    }

    @Override
    public OperationVerb verb() {
        return OperationVerb.SNAPSHOT;
    }

    @Override
    public Map<String, String> accept(Tx tx, Workspace workspace, Map<String, String> requested, Instant now) {
        Map<String, String> params = new HashMap<>(requested);
        params.put("snapshot_id", Ids.newId(clock).toString());
        List<Snapshot> periodic = tx.snapshots().periodic(workspace.id());
        // Differentials since the newest full, which is the first full in newest-first order.
        int sinceFull = 0;
        UUID lastFull = null;
        for (Snapshot s : periodic) {
            if (s.baseId() == null) {
                lastFull = s.verifiedAt() != null ? s.id() : null;
                break;
            }
            sinceFull++;
        }
        if (lastFull != null && sinceFull < FULL_EVERY - 1) {
            params.put("base_snapshot_id", lastFull.toString());
        }
        return params;
    }

    @Override
    public Plan plan(Map<String, String> params) {
        return plan;
    }
}
