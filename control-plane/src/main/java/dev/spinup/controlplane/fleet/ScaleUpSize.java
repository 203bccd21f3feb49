package dev.spinup.controlplane.fleet;

import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.RegionCapacity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How many new hosts a region needs: the workspaces waiting for room are packed first-fit (largest
 * first) into what its placeable hosts have free, then into new hosts of the provider's size; then
 * enough new hosts are added for the headroom to hold again on what is left. A waiting workspace
 * that no new host could hold adds nothing (more such hosts would not help it).
 */
public final class ScaleUpSize {
    private ScaleUpSize() {}

    /**
     * @param hostsFree what each placeable host has free now
     * @param waiting what each waiting workspace needs
     * @param headroom how many workspaces of {@code headroomEach} must fit at all times
     * @param newHost what one new host offers
     */
    public static int hostsToAdd(
            List<Envelope> hostsFree, List<Envelope> waiting, int headroom, Envelope headroomEach, Envelope newHost) {
        List<Envelope> bins = new ArrayList<>(hostsFree);
        int added = 0;
        List<Envelope> largestFirst = waiting.stream()
                .sorted(Comparator.comparingInt(Envelope::vcpu)
                        .thenComparingInt(Envelope::ramGb)
                        .thenComparingInt(Envelope::diskGb)
                        .reversed())
                .toList();
        for (Envelope w : largestFirst) {
            if (!w.fitsIn(newHost)) {
                continue;
            }
            int at = firstFit(bins, w);
            if (at < 0) {
                bins.add(newHost);
                added++;
                at = bins.size() - 1;
            }
            bins.set(at, bins.get(at).leftAfter(w));
        }
        int missing = headroom - RegionCapacity.fits(bins, headroomEach);
        int perHost = RegionCapacity.fits(List.of(newHost), headroomEach);
        if (missing > 0 && perHost > 0) {
            added += (missing + perHost - 1) / perHost;
        }
        return added;
    }

    private static int firstFit(List<Envelope> bins, Envelope w) {
        for (int i = 0; i < bins.size(); i++) {
            if (w.fitsIn(bins.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
