package dev.spinup.controlplane.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.controlplane.core.Envelope;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How many hosts a scale-up asks for: waiting workspaces first, into free room, then the headroom. */
class ScaleUpSizeTest {
    static final Envelope HOBBY = new Envelope(1, 1, 5);
    static final Envelope PRO = new Envelope(2, 4, 20);
    static final Envelope HOST = new Envelope(2, 4, 40); // 2 HOBBY, or 1 PRO

    @Test
    void waitingWorkspacesArePackedIntoNewHostsOfTheProvidersSize() {
        assertThat(ScaleUpSize.hostsToAdd(List.of(), Collections.nCopies(4, HOBBY), 0, HOBBY, HOST))
                .isEqualTo(2);
        assertThat(ScaleUpSize.hostsToAdd(List.of(), Collections.nCopies(5, HOBBY), 0, HOBBY, HOST))
                .isEqualTo(3);
    }

    @Test
    void freeRoomOnPlaceableHostsIsUsedFirst() {
        // a host that just turned healthy, not yet taken by the waiting: no new host for them
        assertThat(ScaleUpSize.hostsToAdd(List.of(HOST), Collections.nCopies(2, HOBBY), 0, HOBBY, HOST))
                .isZero();
        assertThat(ScaleUpSize.hostsToAdd(List.of(new Envelope(1, 1, 5)), List.of(PRO, HOBBY), 0, HOBBY, HOST))
                .as("the PRO needs a new host, the HOBBY fits the free room")
                .isEqualTo(1);
    }

    @Test
    void mixedFlavorsArePackedLargestFirst() {
        // each PRO fills a host's 2 vCPU; the two HOBBY share a third
        assertThat(ScaleUpSize.hostsToAdd(List.of(), List.of(HOBBY, PRO, HOBBY, PRO), 0, HOBBY, HOST))
                .isEqualTo(3);
    }

    @Test
    void theHeadroomIsAddedOnTopOfWhatTheWaitingTake() {
        assertThat(ScaleUpSize.hostsToAdd(List.of(), List.of(HOBBY), 2, HOBBY, HOST))
                .as("the waiting HOBBY leaves 1 on its new host; 1 more HOBBY of headroom needs another")
                .isEqualTo(2);
        assertThat(ScaleUpSize.hostsToAdd(List.of(HOST, HOST), List.of(), 4, HOBBY, HOST))
                .as("at its headroom")
                .isZero();
        assertThat(ScaleUpSize.hostsToAdd(List.of(), List.of(), 5, HOBBY, HOST)).isEqualTo(3);
    }

    @Test
    void aWaitingWorkspaceNoNewHostCouldHoldAddsNothing() {
        assertThat(ScaleUpSize.hostsToAdd(List.of(), List.of(new Envelope(8, 16, 100)), 0, HOBBY, HOST))
                .isZero();
    }
}
