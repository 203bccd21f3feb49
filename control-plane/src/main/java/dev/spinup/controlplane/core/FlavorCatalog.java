package dev.spinup.controlplane.core;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * The configured envelope of each fixed flavor, its maxDeploys ceiling (a safety valve, not a
 * sold quantity) and the bounds a CUSTOM envelope must respect.
 */
public record FlavorCatalog(
        Map<Flavor, Envelope> envelopes, Map<Flavor, Integer> maxDeploys, Envelope customMin, Envelope customMax) {
    public FlavorCatalog {
        envelopes = Map.copyOf(envelopes);
        maxDeploys = Map.copyOf(maxDeploys);
        requireNonNull(customMin, "customMin");
        requireNonNull(customMax, "customMax");
        for (Flavor f : new Flavor[] {Flavor.HOBBY, Flavor.PRO, Flavor.TEAM}) {
            if (!envelopes.containsKey(f)) {
                throw new IllegalArgumentException("no envelope configured for flavor " + f.wire());
            }
        }
    }

    public static FlavorCatalog defaults() {
        return new FlavorCatalog(
                Map.of(
                        Flavor.HOBBY,
                        new Envelope(1, 1, 5),
                        Flavor.PRO,
                        new Envelope(2, 4, 20),
                        Flavor.TEAM,
                        new Envelope(4, 8, 50)),
                Map.of(Flavor.HOBBY, 500, Flavor.PRO, 1000, Flavor.TEAM, 2000),
                new Envelope(1, 1, 1),
                new Envelope(64, 256, 2048));
    }

    /** The flavor's maxDeploys ceiling; CUSTOM has the largest fixed flavor's. */
    public int maxDeploysOf(Flavor flavor) {
        Integer ceiling = maxDeploys.get(flavor);
        return ceiling != null
                ? ceiling
                : maxDeploys.values().stream().max(Integer::compare).orElse(0);
    }

    public Envelope envelopeOf(Flavor flavor) {
        Envelope envelope = envelopes.get(flavor);
        if (envelope == null) {
            throw new IllegalArgumentException(flavor.wire() + " has no fixed envelope");
        }
        return envelope;
    }

    /** Why a custom envelope is refused, or null when it is within bounds. */
    public String customEnvelopeProblem(Envelope e) {
        if (!customMin.fitsIn(e)) {
            return "custom envelope must be at least " + describe(customMin);
        }
        if (!e.fitsIn(customMax)) {
            return "custom envelope must be at most " + describe(customMax);
        }
        return null;
    }

    private static String describe(Envelope e) {
        return e.vcpu() + " vCPU / " + e.ramGb() + " GiB RAM / " + e.diskGb() + " GiB disk";
    }
}
