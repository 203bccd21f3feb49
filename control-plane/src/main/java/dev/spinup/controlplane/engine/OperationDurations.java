package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.store.OperationStore.DurationStat;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.core.Flavor;
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
    private record Key(OperationVerb verb, Flavor flavor) {}

    private static final Duration WINDOW = Duration.ofDays(30);
    private static final Duration REFRESH = Duration.ofSeconds(30);

    private final Transactions db;
    private final Clock clock;
    private volatile List<DurationStat> cached = List.of();
    private volatile Map<Key, DurationStat> byKey = Map.of();
    private volatile Instant cachedAt = Instant.MIN;

    public OperationDurations(Transactions db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    public List<DurationStat> recent() {
        Instant now = clock.instant();
        if (cachedAt.plus(REFRESH).isBefore(now)) {
            List<DurationStat> stats = db.read(tx -> tx.operations().durationsSince(now.minus(WINDOW)));
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
}
