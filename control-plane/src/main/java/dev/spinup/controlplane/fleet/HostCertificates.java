package dev.spinup.controlplane.fleet;

import java.util.UUID;

/** The CA that signs host certificates, as enrollment needs it. */
public interface HostCertificates {
    /** A client certificate (PEM) for {@code hostId}, its CN the host id, for the key in {@code csrPem}. */
    String signHostCsr(UUID hostId, String csrPem);

    /** The CA's own certificate (PEM): what hosts trust the control plane by. */
    String certificatePem();
}
