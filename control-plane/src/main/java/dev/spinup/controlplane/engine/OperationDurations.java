package dev.spinup.controlplane.engine;

import dev.spinup.controlplane.core.Flavor;
import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.store.OperationStore.DurationStat;
import dev.spinup.controlplane.store.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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

    /**
     * When each of {@code ops} still in flight should finish: its request time plus the median for
     * its verb and the flavor it was requested at. Operations with no estimate
     * (finished, or no history yet) are absent.
     */
    public Map<UUID, Instant> estimates(List<Operation> ops) {
        List<Operation> running =
                ops.stream().filter(op -> !op.status().isTerminal()).toList();
        if (running.isEmpty()) {
            return Map.of();
        }
        recent();
        Map<UUID, Instant> estimates = new HashMap<>();
        for (Operation op : running) {
            DurationStat stat = byKey.get(new Key(op.verb(), op.flavor()));
            if (stat != null) {
                estimates.put(op.id(), op.requestedAt().plus(stat.p50()));
            }
        }
        return estimates;
    }
}
