package dev.spinup.controlplane.operations;

import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.db.Database;
import dev.spinup.controlplane.core.Flavor;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How long transitions take, from recent successful operations (request to completion), per verb
 * and flavor: published so the product can size its timers ("archive is minutes, not instant"),
 * and used to estimate when a running operation will finish. Recomputed at most every 30 s.
 */
public final class OperationDurations {
    public record Stat(OperationVerb verb, Flavor flavor, Duration p50, Duration p95, int samples) {}

    private record Key(OperationVerb verb, Flavor flavor) {}

    private static final Duration WINDOW = Duration.ofDays(30);
    private static final Duration REFRESH = Duration.ofSeconds(30);

    private final Database db;
    private final Clock clock;
    private volatile List<Stat> cached = List.of();
    private volatile Map<Key, Stat> byKey = Map.of();
    private volatile Instant cachedAt = Instant.MIN;

    public OperationDurations(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public List<Stat> recent() {
        Instant now = clock.instant();
        if (cachedAt.plus(REFRESH).isBefore(now)) {
            List<Stat> stats = db.withHandle(h -> h.createQuery("""
                            SELECT o.verb, w.flavor, count(*) AS samples,
                                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM o.completed_at - o.requested_at)) AS p50,
                                   percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM o.completed_at - o.requested_at)) AS p95
                            FROM operations o JOIN workspaces w ON w.id = o.workspace_id
                            WHERE o.status = 'succeeded' AND o.completed_at >= :since
                            GROUP BY o.verb, w.flavor ORDER BY o.verb, w.flavor""")
                    .bind("since", Timestamp.from(now.minus(WINDOW)))
                    .map((rs, ctx) -> new Stat(OperationVerb.fromWire(rs.getString("verb")),
                            Flavor.fromWire(rs.getString("flavor")), seconds(rs.getDouble("p50")),
                            seconds(rs.getDouble("p95")), rs.getInt("samples")))
                    .list());
            cached = stats;
            byKey = stats.stream().collect(Collectors.toMap(s -> new Key(s.verb(), s.flavor()), Function.identity()));
            cachedAt = now;
        }
        return cached;
    }

    /** When an operation in flight should finish: its request time plus the median for its verb and flavor. */
    public Optional<Instant> estimate(Operation op, Flavor flavor) {
        if (op.status().isTerminal()) {
            return Optional.empty();
        }
        recent();
        return Optional.ofNullable(byKey.get(new Key(op.verb(), flavor))).map(s -> op.requestedAt().plus(s.p50()));
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }
}
