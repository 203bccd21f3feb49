package dev.spinup.testing;

import dev.spinup.controlplane.ControlPlaneConfig;
import dev.spinup.controlplane.pki.CertificateAuthority;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * A test cluster's certificates under {@code <dir>/pki}: a CA, the control plane's server
 * certificate for localhost and 127.0.0.1, and host certificates issued on demand.
 */
public final class TestPki {
    private final Path dir;
    private final CertificateAuthority ca;

    public TestPki(Path dir, Clock clock) {
        this.dir = dir;
        this.ca = CertificateAuthority.loadOrCreate(dir, "SpinUp test CA", clock);
        ca.issueServer(List.of("localhost"), List.of("127.0.0.1")).writeTo(serverCertificate(), serverKey());
    }

    /** The control plane's TLS settings: its server certificate, and this CA for hosts. */
    public ControlPlaneConfig.Tls tls() {
        return new ControlPlaneConfig.Tls(serverCertificate(), serverKey(), caCertificate(), dir.resolve("ca.key"));
    }

    /** Issues a certificate for {@code hostId} as {@code host.crt} and {@code host.key} in {@code hostDir}. */
    public void issueHost(UUID hostId, Path hostDir) {
        try {
            Files.createDirectories(hostDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ca.issueHost(hostId).writeTo(hostDir.resolve("host.crt"), hostDir.resolve("host.key"));
    }

    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    public Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    public Path serverKey() {
        return dir.resolve("server.key");
    }
}
