package dev.spinup.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * @param controlPlanes  control-plane addresses (host:port), tried in turn
 * @param certificate    this host's client certificate (its CN is the host id), PEM
 * @param privateKey     its private key, PKCS#8 PEM
 * @param caCertificate  the CA that signed the control plane's server certificate, PEM
 * @param guestDir       the unpacked guest, or null to unpack the one shipped with the agent
 * @param advertiseHost  how the edge and clients reach this host's workspaces
 */
public record HostAgentConfig(
        List<String> controlPlanes,
        Path certificate,
        Path privateKey,
        Path caCertificate,
        Path dataDir,
        Path guestDir,
        String advertiseHost,
        int portFrom,
        int portTo,
        int totalVcpu,
        int totalRamGb,
        int totalDiskGb,
        Duration heartbeatInterval,
        Duration startTimeout) {
    public HostAgentConfig {
        controlPlanes = List.copyOf(controlPlanes);
        requireNonNull(certificate, "certificate");
        requireNonNull(privateKey, "privateKey");
        requireNonNull(caCertificate, "caCertificate");
        requireNonNull(dataDir, "dataDir");
        requireNonNull(advertiseHost, "advertiseHost");
        if (portFrom <= 0 || portTo < portFrom || portTo > 65535) {
            throw new IllegalArgumentException("bad workspace port range " + portFrom + "-" + portTo);
        }
    }
}
